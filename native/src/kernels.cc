#include "kernels.h"

#include "blas.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pool.h"
#include "sgemm.h"

namespace clipcl {
namespace {

// Which GEMM runs: the BLAS library linked at build time, unless
// CLIPCL_GEMM=vendored (or setGemm) picks the addon's own.
bool use_blas = [] {
  const char* env = std::getenv("CLIPCL_GEMM");
  return kHaveBlas && !(env != nullptr && std::strcmp(env, "vendored") == 0);
}();

// Below this many elements an element-wise op runs on one thread: waking the
// second one costs more than it saves (measured: ~20 us per wake).
constexpr std::size_t kGrain = 32768;

std::size_t grain_rows(std::size_t row_len) { return std::max<std::size_t>(1, kGrain / std::max<std::size_t>(1, row_len)); }

template <class F>
inline void inner_loop(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* o, std::size_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = *b;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = *a;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (std::size_t i = 0; i < n; ++i) o[i] = f(a[i * sa], b[i * sb]);
  }
}

template <class F>
void binary_impl(F f, const float* a, const float* b, float* out, int rank, const int64_t* shape, const int64_t* sa,
                 const int64_t* sb) {
  if (rank == 0) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const std::size_t n = static_cast<std::size_t>(shape[rank - 1]);
  const int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  std::size_t rows = 1;
  for (int d = 0; d < rank - 1; ++d) rows *= static_cast<std::size_t>(shape[d]);
  if (rows == 1) {
    parallel_for(n, kGrain, [&](std::size_t lo, std::size_t hi) {
      inner_loop(f, a + lo * ia, ia, b + lo * ib, ib, out + lo, hi - lo);
    });
    return;
  }
  parallel_for(rows, grain_rows(n), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      std::size_t rem = r;
      int64_t oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const std::size_t idx = rem % static_cast<std::size_t>(shape[d]);
        rem /= static_cast<std::size_t>(shape[d]);
        oa += static_cast<int64_t>(idx) * sa[d];
        ob += static_cast<int64_t>(idx) * sb[d];
      }
      inner_loop(f, a + oa, ia, b + ob, ib, out + r * n, n);
    }
  });
}

template <class F>
void unary_impl(F f, const float* x, float* out, std::size_t n) {
  parallel_for(n, kGrain, [&](std::size_t lo, std::size_t hi) {
    const float* xs = x + lo;
    float* os = out + lo;
    const std::size_t len = hi - lo;
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) os[i] = f(xs[i]);
  });
}

template <bool IsMax>
inline float pick(float acc, float v) {
  // NaN wins, as in tfjs's cpu kernels.
  if (v != v) return v;
  return IsMax ? (v > acc ? v : acc) : (v < acc ? v : acc);
}

template <bool IsMax>
void reduce_extreme(const float* x, float* out, std::size_t outer, std::size_t mid, std::size_t inner) {
  if (inner == 1) {
    parallel_for(outer, grain_rows(mid), [&](std::size_t lo, std::size_t hi) {
      for (std::size_t o = lo; o < hi; ++o) {
        const float* row = x + o * mid;
        float acc = row[0];
        for (std::size_t i = 1; i < mid; ++i) acc = pick<IsMax>(acc, row[i]);
        out[o] = acc;
      }
    });
    return;
  }
  parallel_for(outer * inner, kGrain / std::max<std::size_t>(1, mid) + 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t idx = lo; idx < hi; ++idx) {
      const std::size_t o = idx / inner, j = idx % inner;
      const float* base = x + o * mid * inner + j;
      float acc = base[0];
      for (std::size_t i = 1; i < mid; ++i) acc = pick<IsMax>(acc, base[i * inner]);
      out[idx] = acc;
    }
  });
}

void reduce_sum(const float* x, float* out, std::size_t outer, std::size_t mid, std::size_t inner, float scale) {
  if (inner == 1) {
    if (outer == 1 && mid >= 2 * kGrain) {
      const int t = pool_threads();
      std::vector<double> partial(t, 0.0);
      parallel_for(static_cast<std::size_t>(t), 1, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t c = lo; c < hi; ++c) {
          const std::size_t b = mid * c / t, e = mid * (c + 1) / t;
          float acc = 0.f;
#pragma omp simd reduction(+ : acc)
          for (std::size_t i = b; i < e; ++i) acc += x[i];
          partial[c] = acc;
        }
      });
      double total = 0;
      for (double p : partial) total += p;
      out[0] = static_cast<float>(total) * scale;
      return;
    }
    parallel_for(outer, grain_rows(mid), [&](std::size_t lo, std::size_t hi) {
      for (std::size_t o = lo; o < hi; ++o) {
        const float* row = x + o * mid;
        float acc = 0.f;
#pragma omp simd reduction(+ : acc)
        for (std::size_t i = 0; i < mid; ++i) acc += row[i];
        out[o] = acc * scale;
      }
    });
    return;
  }
  // Columns: accumulate whole rows so the inner loop is contiguous. Threads
  // split the columns when there is a single outer block (bias gradients).
  const std::size_t col_chunks = outer == 1 ? std::max<std::size_t>(1, std::min<std::size_t>(pool_threads(), inner / 64)) : 1;
  parallel_for(outer * col_chunks, mid * inner / col_chunks >= kGrain ? 1 : outer * col_chunks, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t idx = lo; idx < hi; ++idx) {
      const std::size_t o = idx / col_chunks, c = idx % col_chunks;
      const std::size_t jb = inner * c / col_chunks, je = inner * (c + 1) / col_chunks;
      float* dst = out + o * inner;
      const float* base = x + o * mid * inner;
      for (std::size_t j = jb; j < je; ++j) dst[j] = 0.f;
      for (std::size_t i = 0; i < mid; ++i) {
        const float* row = base + i * inner;
#pragma omp simd
        for (std::size_t j = jb; j < je; ++j) dst[j] += row[j];
      }
      if (scale != 1.f) {
        for (std::size_t j = jb; j < je; ++j) dst[j] *= scale;
      }
    }
  });
}

}  // namespace

const char* gemm_impl() { return use_blas ? kBlasName : "vendored"; }

bool set_gemm_impl(const char* name) {
  if (std::strcmp(name, "vendored") == 0) {
    use_blas = false;
    return true;
  }
  if (kHaveBlas && (std::strcmp(name, "blas") == 0 || std::strcmp(name, kBlasName) == 0)) {
    use_blas = true;
    return true;
  }
  return false;
}

void gemm(const float* a, const float* b, float* c, int batch, int m, int n, int k, bool trans_a, bool trans_b,
          std::size_t stride_a, std::size_t stride_b) {
  if (m == 0 || n == 0 || batch == 0) return;
  const std::size_t out_stride = static_cast<std::size_t>(m) * n;
  if (k == 0) {
    std::memset(c, 0, sizeof(float) * out_stride * batch);
    return;
  }
  const int lda = trans_a ? m : k;
  const int ldb = trans_b ? k : n;
  const bool blas = use_blas;
  // Element strides of A(i, p) and B(p, j) for the vendored GEMM.
  const std::ptrdiff_t rsa = trans_a ? 1 : k, csa = trans_a ? m : 1;
  const std::ptrdiff_t rsb = trans_b ? 1 : n, csb = trans_b ? k : 1;
  auto one = [&](std::size_t i, bool threaded) {
    if (blas) {
      blas_sgemm(trans_a, trans_b, m, n, k, a + i * stride_a, lda, b + i * stride_b, ldb, c + i * out_stride, n);
    } else {
      sgemm_vendored(m, n, k, a + i * stride_a, rsa, csa, b + i * stride_b, rsb, csb, c + i * out_stride, n, threaded);
    }
  };
  const double mnk = static_cast<double>(m) * n * k;
  // Many small products (attention heads): one single-threaded GEMM per
  // thread beats splitting each tiny product across threads.
  if (batch > 1 && mnk < 4e6 && pool_threads() > 1) {
    const int saved = blas ? blas_threads() : 0;
    if (blas) blas_set_threads(1);
    parallel_for(static_cast<std::size_t>(batch), 1, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) one(i, false);
    });
    if (blas) blas_set_threads(saved);
    return;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(batch); ++i) one(i, true);
}

void binary(BinaryOp op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
            const int64_t* stride_a, const int64_t* stride_b) {
  switch (op) {
    case BinaryOp::Add: return binary_impl([](float x, float y) { return x + y; }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::Sub: return binary_impl([](float x, float y) { return x - y; }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::Mul: return binary_impl([](float x, float y) { return x * y; }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::Div: return binary_impl([](float x, float y) { return x / y; }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::Max: return binary_impl([](float x, float y) { return (x != x || y != y) ? NAN : (x > y ? x : y); }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::Min: return binary_impl([](float x, float y) { return (x != x || y != y) ? NAN : (x < y ? x : y); }, a, b, out, rank, shape, stride_a, stride_b);
    case BinaryOp::SquaredDiff: return binary_impl([](float x, float y) { const float d = x - y; return d * d; }, a, b, out, rank, shape, stride_a, stride_b);
  }
}

void unary(UnaryOp op, const float* x, float* out, std::size_t n) {
  switch (op) {
    case UnaryOp::Exp: return unary_impl([](float v) { return std::exp(v); }, x, out, n);
    case UnaryOp::Log: return unary_impl([](float v) { return std::log(v); }, x, out, n);
    case UnaryOp::Sigmoid: return unary_impl([](float v) { return 1.f / (1.f + std::exp(-v)); }, x, out, n);
    case UnaryOp::Tanh: return unary_impl([](float v) { return std::tanh(v); }, x, out, n);
    case UnaryOp::Erf: return unary_impl([](float v) { return std::erf(v); }, x, out, n);
    case UnaryOp::Sqrt: return unary_impl([](float v) { return std::sqrt(v); }, x, out, n);
    case UnaryOp::Rsqrt: return unary_impl([](float v) { return 1.f / std::sqrt(v); }, x, out, n);
    case UnaryOp::Square: return unary_impl([](float v) { return v * v; }, x, out, n);
    case UnaryOp::Neg: return unary_impl([](float v) { return -v; }, x, out, n);
    case UnaryOp::Relu: return unary_impl([](float v) { return v < 0.f ? 0.f : v; }, x, out, n);
    case UnaryOp::Abs: return unary_impl([](float v) { return std::fabs(v); }, x, out, n);
    case UnaryOp::Reciprocal: return unary_impl([](float v) { return 1.f / v; }, x, out, n);
    case UnaryOp::QuickGelu: return unary_impl([](float v) { return v / (1.f + std::exp(-1.702f * v)); }, x, out, n);
    case UnaryOp::Gelu: return unary_impl([](float v) { return 0.5f * v * (1.f + std::erf(v * 0.70710678118654752f)); }, x, out, n);
  }
}

void activation_grad(UnaryOp op, const float* dy, const float* x, float* dx, std::size_t n) {
  auto run = [&](auto f) {
    parallel_for(n, kGrain, [&](std::size_t lo, std::size_t hi) {
#pragma omp simd
      for (std::size_t i = lo; i < hi; ++i) dx[i] = dy[i] * f(x[i]);
    });
  };
  if (op == UnaryOp::QuickGelu) {
    run([](float v) {
      const float s = 1.f / (1.f + std::exp(-1.702f * v));
      return s + 1.702f * v * s * (1.f - s);
    });
  } else if (op == UnaryOp::Gelu) {
    run([](float v) {
      return 0.5f * (1.f + std::erf(v * 0.70710678118654752f)) + v * 0.39894228040143268f * std::exp(-0.5f * v * v);
    });
  }
}

void softmax_grad(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols) {
  parallel_for(rows, grain_rows(cols), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const float* yr = y + r * cols;
      const float* dr = dy + r * cols;
      float* o = dx + r * cols;
      float dot = 0.f;
#pragma omp simd reduction(+ : dot)
      for (std::size_t j = 0; j < cols; ++j) dot += dr[j] * yr[j];
#pragma omp simd
      for (std::size_t j = 0; j < cols; ++j) o[j] = yr[j] * (dr[j] - dot);
    }
  });
}

namespace {

/** Mean and 1 / sqrt(var + eps) of one row (two passes, as the composite op computes them). */
inline void row_moments(const float* x, std::size_t cols, float eps, float& mean, float& rstd) {
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (std::size_t j = 0; j < cols; ++j) sum += x[j];
  mean = sum / static_cast<float>(cols);
  float sq = 0.f;
#pragma omp simd reduction(+ : sq)
  for (std::size_t j = 0; j < cols; ++j) {
    const float d = x[j] - mean;
    sq += d * d;
  }
  rstd = 1.f / std::sqrt(sq / static_cast<float>(cols) + eps);
}

/** Splits rows into one contiguous chunk per thread (fewer for small work); fn(chunk, begin, end). */
template <class F>
std::size_t row_chunks(std::size_t rows, std::size_t cols, F fn) {
  const std::size_t chunks =
      rows * cols < kGrain ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(pool_threads(), rows));
  parallel_for(chunks, 1, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t c = lo; c < hi; ++c) fn(c, rows * c / chunks, rows * (c + 1) / chunks);
  });
  return chunks;
}

}  // namespace

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, std::size_t rows, std::size_t cols,
                float eps) {
  parallel_for(rows, grain_rows(cols), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      float mean, rstd;
      row_moments(xr, cols, eps, mean, rstd);
#pragma omp simd
      for (std::size_t j = 0; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
    }
  });
}

void layer_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     std::size_t rows, std::size_t cols, float eps) {
  const std::size_t max_chunks = static_cast<std::size_t>(std::max(1, pool_threads()));
  // Per-chunk partial sums of dgamma and dbeta, added up after.
  std::vector<float> partial(max_chunks * 2 * cols, 0.f);
  const std::size_t chunks = row_chunks(rows, cols, [&](std::size_t c, std::size_t begin, std::size_t end) {
    float* pg = partial.data() + c * 2 * cols;
    float* pb = pg + cols;
    const float inv_cols = 1.f / static_cast<float>(cols);
    for (std::size_t r = begin; r < end; ++r) {
      const float* xr = x + r * cols;
      const float* dr = dy + r * cols;
      float* o = dx + r * cols;
      float mean, rstd;
      row_moments(xr, cols, eps, mean, rstd);
      // dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma.
      float sg = 0.f, sgx = 0.f;
#pragma omp simd reduction(+ : sg, sgx)
      for (std::size_t j = 0; j < cols; ++j) {
        const float xhat = (xr[j] - mean) * rstd;
        const float g = dr[j] * gamma[j];
        sg += g;
        sgx += g * xhat;
        pg[j] += dr[j] * xhat;
        pb[j] += dr[j];
      }
      const float mg = sg * inv_cols, mgx = sgx * inv_cols;
#pragma omp simd
      for (std::size_t j = 0; j < cols; ++j) {
        const float xhat = (xr[j] - mean) * rstd;
        o[j] = rstd * (dr[j] * gamma[j] - mg - xhat * mgx);
      }
    }
  });
  for (std::size_t j = 0; j < cols; ++j) {
    float g = 0.f, b = 0.f;
    for (std::size_t c = 0; c < chunks; ++c) {
      g += partial[c * 2 * cols + j];
      b += partial[c * 2 * cols + cols + j];
    }
    dgamma[j] = g;
    dbeta[j] = b;
  }
}

void adam(const float* w, const float* g, float* m, float* v, float* out, std::size_t n, float step, double beta1,
          double beta2, float eps, float c2, float weight_decay, float grad_scale) {
  const float inv_c2 = 1.f / c2;
  // 1 - beta in double first: 1 - 0.999f is 1.3e-5 off 0.001 in relative terms.
  const float b1 = static_cast<float>(beta1), nb1 = static_cast<float>(1.0 - beta1);
  const float b2 = static_cast<float>(beta2), nb2 = static_cast<float>(1.0 - beta2);
  parallel_for(n, kGrain, [&](std::size_t lo, std::size_t hi) {
#pragma omp simd
    for (std::size_t i = lo; i < hi; ++i) {
      const float gi = g[i] * grad_scale + weight_decay * w[i];
      const float mi = b1 * m[i] + nb1 * gi;
      const float vi = b2 * v[i] + nb2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      out[i] = w[i] - step * mi / (std::sqrt(vi * inv_c2) + eps);
    }
  });
}

void softmax(const float* x, float* out, std::size_t rows, std::size_t cols) {
  parallel_for(rows, grain_rows(cols), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      const float* in = x + r * cols;
      float* o = out + r * cols;
      float mx = -INFINITY;
      for (std::size_t j = 0; j < cols; ++j) mx = in[j] > mx ? in[j] : mx;
      float sum = 0.f;
#pragma omp simd reduction(+ : sum)
      for (std::size_t j = 0; j < cols; ++j) {
        const float e = std::exp(in[j] - mx);
        o[j] = e;
        sum += e;
      }
      const float inv = 1.f / sum;
#pragma omp simd
      for (std::size_t j = 0; j < cols; ++j) o[j] *= inv;
    }
  });
}

void reduce(ReduceOp op, const float* x, float* out, std::size_t outer, std::size_t mid, std::size_t inner) {
  if (mid == 0) {
    const float fill = op == ReduceOp::Max ? -INFINITY : op == ReduceOp::Min ? INFINITY : op == ReduceOp::Mean ? NAN : 0.f;
    std::fill(out, out + outer * inner, fill);
    return;
  }
  switch (op) {
    case ReduceOp::Sum: return reduce_sum(x, out, outer, mid, inner, 1.f);
    case ReduceOp::Mean: return reduce_sum(x, out, outer, mid, inner, 1.f / static_cast<float>(mid));
    case ReduceOp::Max: return reduce_extreme<true>(x, out, outer, mid, inner);
    case ReduceOp::Min: return reduce_extreme<false>(x, out, outer, mid, inner);
  }
}

void transpose(const float* x, float* out, int rank, const int64_t* shape, const int* perm) {
  if (rank <= 1) {
    std::size_t n = rank == 0 ? 1 : static_cast<std::size_t>(shape[0]);
    std::memcpy(out, x, n * sizeof(float));
    return;
  }
  int64_t in_stride[kMaxRank];
  in_stride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * shape[d + 1];
  int64_t oshape[kMaxRank], src[kMaxRank];
  for (int d = 0; d < rank; ++d) {
    oshape[d] = shape[perm[d]];
    src[d] = in_stride[perm[d]];
  }
  const std::size_t rows = static_cast<std::size_t>(oshape[rank - 2]);
  const std::size_t cols = static_cast<std::size_t>(oshape[rank - 1]);
  const int64_t s_row = src[rank - 2], s_col = src[rank - 1];
  std::size_t planes = 1;
  for (int d = 0; d < rank - 2; ++d) planes *= static_cast<std::size_t>(oshape[d]);
  auto plane_offset = [&](std::size_t p) {
    int64_t off = 0;
    for (int d = rank - 3; d >= 0; --d) {
      const std::size_t idx = p % static_cast<std::size_t>(oshape[d]);
      p /= static_cast<std::size_t>(oshape[d]);
      off += static_cast<int64_t>(idx) * src[d];
    }
    return off;
  };
  auto do_rows = [&](const float* base, float* dst, std::size_t r0, std::size_t r1) {
    if (s_col == 1) {
      for (std::size_t r = r0; r < r1; ++r) std::memcpy(dst + r * cols, base + r * s_row, cols * sizeof(float));
      return;
    }
    constexpr std::size_t B = 16;
    for (std::size_t rb = r0; rb < r1; rb += B) {
      const std::size_t re = std::min(rb + B, r1);
      for (std::size_t cb = 0; cb < cols; cb += B) {
        const std::size_t ce = std::min(cb + B, cols);
        for (std::size_t r = rb; r < re; ++r)
          for (std::size_t c = cb; c < ce; ++c) dst[r * cols + c] = base[r * s_row + c * s_col];
      }
    }
  };
  const std::size_t plane = rows * cols;
  if (planes >= 2 * static_cast<std::size_t>(pool_threads()) || planes * plane < kGrain) {
    parallel_for(planes, grain_rows(plane), [&](std::size_t lo, std::size_t hi) {
      for (std::size_t p = lo; p < hi; ++p) do_rows(x + plane_offset(p), out + p * plane, 0, rows);
    });
  } else {
    for (std::size_t p = 0; p < planes; ++p) {
      const float* base = x + plane_offset(p);
      float* dst = out + p * plane;
      parallel_for(rows, grain_rows(cols), [&](std::size_t lo, std::size_t hi) { do_rows(base, dst, lo, hi); });
    }
  }
}

void copy_block(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* src_stride,
                const int64_t* dst_stride) {
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const std::size_t n = static_cast<std::size_t>(shape[rank - 1]);
  const int64_t si = src_stride[rank - 1], di = dst_stride[rank - 1];
  std::size_t rows = 1;
  for (int d = 0; d < rank - 1; ++d) rows *= static_cast<std::size_t>(shape[d]);
  parallel_for(rows, grain_rows(n), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t r = lo; r < hi; ++r) {
      std::size_t rem = r;
      int64_t so = 0, dof = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const std::size_t idx = rem % static_cast<std::size_t>(shape[d]);
        rem /= static_cast<std::size_t>(shape[d]);
        so += static_cast<int64_t>(idx) * src_stride[d];
        dof += static_cast<int64_t>(idx) * dst_stride[d];
      }
      if (si == 1 && di == 1) {
        std::memcpy(dst + dof, src + so, n * sizeof(float));
      } else {
        for (std::size_t i = 0; i < n; ++i) dst[dof + static_cast<int64_t>(i) * di] = src[so + static_cast<int64_t>(i) * si];
      }
    }
  });
}

void gather_rows(const float* table, std::size_t rows, std::size_t width, const int32_t* ids, std::size_t count,
                 float* out) {
  parallel_for(count, grain_rows(width), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const int32_t id = ids[i];
      if (id < 0 || static_cast<std::size_t>(id) >= rows) std::memset(out + i * width, 0, width * sizeof(float));
      else std::memcpy(out + i * width, table + static_cast<std::size_t>(id) * width, width * sizeof(float));
    }
  });
}

void segment_sum(const float* x, std::size_t count, std::size_t width, const int32_t* ids, std::size_t segments,
                 float* out) {
  // Threads split the columns, so no two write the same element.
  const std::size_t chunks = std::max<std::size_t>(1, std::min<std::size_t>(pool_threads(), width / 64));
  parallel_for(chunks, count * width >= kGrain ? 1 : chunks, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t c = lo; c < hi; ++c) {
      const std::size_t jb = width * c / chunks, je = width * (c + 1) / chunks;
      for (std::size_t i = 0; i < count; ++i) {
        const int32_t id = ids[i];
        if (id < 0 || static_cast<std::size_t>(id) >= segments) continue;
        float* dst = out + static_cast<std::size_t>(id) * width;
        const float* row = x + i * width;
#pragma omp simd
        for (std::size_t j = jb; j < je; ++j) dst[j] += row[j];
      }
    }
  });
}

}  // namespace clipcl
