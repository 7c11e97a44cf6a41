// N-API front of the kernel pack: unpacks typed arrays and numbers, checks
// buffer sizes (a wrong size would otherwise corrupt memory), calls kernels.cc.
// Outputs are allocated by the caller in JavaScript, so tfjs owns every buffer.
#include <napi.h>

#include <string>

#include "blas.h"
#include "kernels.h"
#include "pool.h"

namespace {

using clipcl::kMaxRank;

struct Args {
  const Napi::CallbackInfo& info;
  bool ok = true;

  Napi::Float32Array f32(size_t i, size_t min_len, const char* name) {
    if (!ok) return Napi::Float32Array();
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      fail(std::string(name) + " must be a Float32Array");
      return Napi::Float32Array();
    }
    auto a = info[i].As<Napi::Float32Array>();
    if (a.ElementLength() < min_len) fail(std::string(name) + " is shorter than its shape says");
    return a;
  }
  Napi::Int32Array i32(size_t i, size_t min_len, const char* name) {
    if (!ok) return Napi::Int32Array();
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      fail(std::string(name) + " must be an Int32Array");
      return Napi::Int32Array();
    }
    auto a = info[i].As<Napi::Int32Array>();
    if (a.ElementLength() < min_len) fail(std::string(name) + " is shorter than its shape says");
    return a;
  }
  int64_t num(size_t i, const char* name) {
    if (!ok) return 0;
    if (!info[i].IsNumber()) {
      fail(std::string(name) + " must be a number");
      return 0;
    }
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (v < 0) fail(std::string(name) + " must be non-negative");
    return static_cast<int64_t>(v);
  }
  double real(size_t i, const char* name) {
    if (!ok) return 0;
    if (!info[i].IsNumber()) {
      fail(std::string(name) + " must be a number");
      return 0;
    }
    return info[i].As<Napi::Number>().DoubleValue();
  }
  bool flag(size_t i) { return ok && info[i].ToBoolean().Value(); }
  void fail(const std::string& msg) {
    if (!ok) return;
    ok = false;
    Napi::TypeError::New(info.Env(), "clipcl native: " + msg).ThrowAsJavaScriptException();
  }
};

// gemm(a, b, out, batch, m, n, k, transA, transB, strideA, strideB)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t batch = g.num(3, "batch"), m = g.num(4, "m"), n = g.num(5, "n"), k = g.num(6, "k");
  const bool ta = g.flag(7), tb = g.flag(8);
  const int64_t sa = g.num(9, "strideA"), sb = g.num(10, "strideB");
  auto a = g.f32(0, sa * (batch - 1) + m * k, "a");
  auto b = g.f32(1, sb * (batch - 1) + k * n, "b");
  auto c = g.f32(2, batch * m * n, "out");
  if (!g.ok) return info.Env().Undefined();
  clipcl::gemm(a.Data(), b.Data(), c.Data(), static_cast<int>(batch), static_cast<int>(m), static_cast<int>(n),
               static_cast<int>(k), ta, tb, static_cast<size_t>(sa), static_cast<size_t>(sb));
  return info.Env().Undefined();
}

// binary(op, a, b, out, meta) with meta = [rank, shape..., strideA..., strideB...]
Napi::Value Binary(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t op = g.num(0, "op");
  auto meta = g.i32(4, 1, "meta");
  if (!g.ok) return info.Env().Undefined();
  const int rank = meta[0];
  if (rank < 0 || rank > kMaxRank || meta.ElementLength() < static_cast<size_t>(1 + 3 * rank)) {
    g.fail("bad broadcast meta");
    return info.Env().Undefined();
  }
  int64_t shape[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int64_t total = 1, last_a = 0, last_b = 0;
  for (int d = 0; d < rank; ++d) {
    shape[d] = meta[1 + d];
    sa[d] = meta[1 + rank + d];
    sb[d] = meta[1 + 2 * rank + d];
    total *= shape[d];
    if (shape[d] > 0) {
      last_a += (shape[d] - 1) * sa[d];
      last_b += (shape[d] - 1) * sb[d];
    }
  }
  auto a = g.f32(1, total == 0 ? 0 : last_a + 1, "a");
  auto b = g.f32(2, total == 0 ? 0 : last_b + 1, "b");
  auto out = g.f32(3, total, "out");
  if (!g.ok || total == 0) return info.Env().Undefined();
  if (op < 0 || op > 6) {
    g.fail("unknown binary op");
    return info.Env().Undefined();
  }
  clipcl::binary(static_cast<clipcl::BinaryOp>(op), a.Data(), b.Data(), out.Data(), rank, shape, sa, sb);
  return info.Env().Undefined();
}

// unary(op, x, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t op = g.num(0, "op");
  auto x = g.f32(1, 0, "x");
  auto out = g.f32(2, g.ok ? x.ElementLength() : 0, "out");
  if (!g.ok) return info.Env().Undefined();
  if (op < 0 || op > 13) {
    g.fail("unknown unary op");
    return info.Env().Undefined();
  }
  clipcl::unary(static_cast<clipcl::UnaryOp>(op), x.Data(), out.Data(), x.ElementLength());
  return info.Env().Undefined();
}

// softmax(x, out, rows, cols)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t rows = g.num(2, "rows"), cols = g.num(3, "cols");
  auto x = g.f32(0, rows * cols, "x");
  auto out = g.f32(1, rows * cols, "out");
  if (!g.ok) return info.Env().Undefined();
  clipcl::softmax(x.Data(), out.Data(), rows, cols);
  return info.Env().Undefined();
}

// activationGrad(op, dy, x, out): op is QuickGelu (12) or Gelu (13)
Napi::Value ActivationGrad(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t op = g.num(0, "op");
  auto x = g.f32(2, 0, "x");
  const size_t n = g.ok ? x.ElementLength() : 0;
  auto dy = g.f32(1, n, "dy");
  auto out = g.f32(3, n, "out");
  if (!g.ok) return info.Env().Undefined();
  if (op != 12 && op != 13) {
    g.fail("activationGrad: unknown activation");
    return info.Env().Undefined();
  }
  clipcl::activation_grad(static_cast<clipcl::UnaryOp>(op), dy.Data(), x.Data(), out.Data(), n);
  return info.Env().Undefined();
}

// softmaxGrad(y, dy, out, rows, cols)
Napi::Value SoftmaxGrad(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t rows = g.num(3, "rows"), cols = g.num(4, "cols");
  auto y = g.f32(0, rows * cols, "y");
  auto dy = g.f32(1, rows * cols, "dy");
  auto out = g.f32(2, rows * cols, "out");
  if (!g.ok) return info.Env().Undefined();
  clipcl::softmax_grad(y.Data(), dy.Data(), out.Data(), rows, cols);
  return info.Env().Undefined();
}

// layerNorm(x, gamma, beta, out, rows, cols, eps)
Napi::Value LayerNorm(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t rows = g.num(4, "rows"), cols = g.num(5, "cols");
  const double eps = g.real(6, "eps");
  auto x = g.f32(0, rows * cols, "x");
  auto gamma = g.f32(1, cols, "gamma");
  auto beta = g.f32(2, cols, "beta");
  auto out = g.f32(3, rows * cols, "out");
  if (!g.ok || rows * cols == 0) return info.Env().Undefined();
  clipcl::layer_norm(x.Data(), gamma.Data(), beta.Data(), out.Data(), rows, cols, static_cast<float>(eps));
  return info.Env().Undefined();
}

// layerNormGrad(dy, x, gamma, dx, dgamma, dbeta, rows, cols, eps)
Napi::Value LayerNormGrad(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t rows = g.num(6, "rows"), cols = g.num(7, "cols");
  const double eps = g.real(8, "eps");
  auto dy = g.f32(0, rows * cols, "dy");
  auto x = g.f32(1, rows * cols, "x");
  auto gamma = g.f32(2, cols, "gamma");
  auto dx = g.f32(3, rows * cols, "dx");
  auto dgamma = g.f32(4, cols, "dgamma");
  auto dbeta = g.f32(5, cols, "dbeta");
  if (!g.ok || cols == 0) return info.Env().Undefined();
  clipcl::layer_norm_grad(dy.Data(), x.Data(), gamma.Data(), dx.Data(), dgamma.Data(), dbeta.Data(), rows, cols,
                          static_cast<float>(eps));
  return info.Env().Undefined();
}

// adam(w, g, m, v, out, step, beta1, beta2, eps, c2, weightDecay, gradScale): m, v (and out) updated in place
Napi::Value Adam(const Napi::CallbackInfo& info) {
  Args g{info};
  auto w = g.f32(0, 0, "w");
  const size_t n = g.ok ? w.ElementLength() : 0;
  auto grad = g.f32(1, n, "g");
  auto m = g.f32(2, n, "m");
  auto v = g.f32(3, n, "v");
  auto out = g.f32(4, n, "out");
  const double step = g.real(5, "step"), b1 = g.real(6, "beta1"), b2 = g.real(7, "beta2"), eps = g.real(8, "eps"),
               c2 = g.real(9, "c2"), wd = g.real(10, "weightDecay"), gs = g.real(11, "gradScale");
  if (!g.ok) return info.Env().Undefined();
  clipcl::adam(w.Data(), grad.Data(), m.Data(), v.Data(), out.Data(), n, static_cast<float>(step), b1, b2, static_cast<float>(eps), static_cast<float>(c2), static_cast<float>(wd),
               static_cast<float>(gs));
  return info.Env().Undefined();
}

// reduce(op, x, out, outer, mid, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t op = g.num(0, "op");
  const int64_t outer = g.num(3, "outer"), mid = g.num(4, "mid"), inner = g.num(5, "inner");
  auto x = g.f32(1, outer * mid * inner, "x");
  auto out = g.f32(2, outer * inner, "out");
  if (!g.ok) return info.Env().Undefined();
  if (op < 0 || op > 3) {
    g.fail("unknown reduce op");
    return info.Env().Undefined();
  }
  clipcl::reduce(static_cast<clipcl::ReduceOp>(op), x.Data(), out.Data(), outer, mid, inner);
  return info.Env().Undefined();
}

// transpose(x, out, meta) with meta = [rank, shape..., perm...]
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  Args g{info};
  auto meta = g.i32(2, 1, "meta");
  if (!g.ok) return info.Env().Undefined();
  const int rank = meta[0];
  if (rank < 0 || rank > kMaxRank || meta.ElementLength() < static_cast<size_t>(1 + 2 * rank)) {
    g.fail("bad transpose meta");
    return info.Env().Undefined();
  }
  int64_t shape[kMaxRank];
  int perm[kMaxRank];
  bool seen[kMaxRank] = {false};
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    shape[d] = meta[1 + d];
    perm[d] = meta[1 + rank + d];
    if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]) {
      g.fail("bad permutation");
      return info.Env().Undefined();
    }
    seen[perm[d]] = true;
    total *= shape[d];
  }
  auto x = g.f32(0, total, "x");
  auto out = g.f32(1, total, "out");
  if (!g.ok || total == 0) return info.Env().Undefined();
  clipcl::transpose(x.Data(), out.Data(), rank, shape, perm);
  return info.Env().Undefined();
}

// copyBlock(src, dst, meta) with meta = [rank, shape..., srcStride..., dstStride..., srcOffset, dstOffset]
Napi::Value CopyBlock(const Napi::CallbackInfo& info) {
  Args g{info};
  auto meta = g.i32(2, 1, "meta");
  if (!g.ok) return info.Env().Undefined();
  const int rank = meta[0];
  if (rank < 0 || rank > kMaxRank || meta.ElementLength() < static_cast<size_t>(3 + 3 * rank)) {
    g.fail("bad copy meta");
    return info.Env().Undefined();
  }
  int64_t shape[kMaxRank], ss[kMaxRank], ds[kMaxRank];
  const int64_t so = meta[1 + 3 * rank], dof = meta[2 + 3 * rank];
  int64_t total = 1, last_s = so, last_d = dof;
  for (int d = 0; d < rank; ++d) {
    shape[d] = meta[1 + d];
    ss[d] = meta[1 + rank + d];
    ds[d] = meta[1 + 2 * rank + d];
    if (ss[d] < 0 || ds[d] < 0 || shape[d] < 0) {
      g.fail("negative stride or size");
      return info.Env().Undefined();
    }
    total *= shape[d];
    if (shape[d] > 0) {
      last_s += (shape[d] - 1) * ss[d];
      last_d += (shape[d] - 1) * ds[d];
    }
  }
  if (so < 0 || dof < 0) {
    g.fail("negative offset");
    return info.Env().Undefined();
  }
  auto src = g.f32(0, total == 0 ? 0 : last_s + 1, "src");
  auto dst = g.f32(1, total == 0 ? 0 : last_d + 1, "dst");
  if (!g.ok || total == 0) return info.Env().Undefined();
  clipcl::copy_block(src.Data() + so, dst.Data() + dof, rank, shape, ss, ds);
  return info.Env().Undefined();
}

// gatherRows(table, rows, width, ids, out)
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t rows = g.num(1, "rows"), width = g.num(2, "width");
  auto table = g.f32(0, rows * width, "table");
  auto ids = g.i32(3, 0, "ids");
  auto out = g.f32(4, g.ok ? ids.ElementLength() * width : 0, "out");
  if (!g.ok) return info.Env().Undefined();
  clipcl::gather_rows(table.Data(), rows, width, ids.Data(), ids.ElementLength(), out.Data());
  return info.Env().Undefined();
}

// segmentSum(x, width, ids, segments, out)
Napi::Value SegmentSum(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t width = g.num(1, "width"), segments = g.num(3, "segments");
  auto ids = g.i32(2, 0, "ids");
  auto x = g.f32(0, g.ok ? ids.ElementLength() * width : 0, "x");
  auto out = g.f32(4, segments * width, "out");
  if (!g.ok) return info.Env().Undefined();
  clipcl::segment_sum(x.Data(), ids.ElementLength(), width, ids.Data(), segments, out.Data());
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("threads", clipcl::pool_threads());
  o.Set("blas", std::string(clipcl::kBlasName));
  o.Set("gemm", std::string(clipcl::gemm_impl()));
  o.Set("blasThreads", clipcl::blas_threads());
  o.Set("blasConfig", clipcl::blas_config());
  o.Set("blasCore", clipcl::blas_core());
  return o;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  Args g{info};
  const int64_t n = g.num(0, "threads");
  if (!g.ok) return info.Env().Undefined();
  clipcl::pool_set_threads(static_cast<int>(n));
  clipcl::blas_set_threads(static_cast<int>(n));
  return info.Env().Undefined();
}

// setGemm(name): "vendored", "blas" or the linked library's name; returns the GEMM now in use.
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  Args g{info};
  if (!info[0].IsString()) {
    g.fail("gemm name must be a string");
    return info.Env().Undefined();
  }
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  if (!clipcl::set_gemm_impl(name.c_str())) {
    g.fail("GEMM '" + name + "' is not available (this build links " + clipcl::kBlasName + ")");
    return info.Env().Undefined();
  }
  return Napi::String::New(info.Env(), clipcl::gemm_impl());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("activationGrad", Napi::Function::New(env, ActivationGrad));
  exports.Set("softmaxGrad", Napi::Function::New(env, SoftmaxGrad));
  exports.Set("layerNorm", Napi::Function::New(env, LayerNorm));
  exports.Set("layerNormGrad", Napi::Function::New(env, LayerNormGrad));
  exports.Set("adam", Napi::Function::New(env, Adam));
  exports.Set("transpose", Napi::Function::New(env, Transpose));
  exports.Set("copyBlock", Napi::Function::New(env, CopyBlock));
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows));
  exports.Set("segmentSum", Napi::Function::New(env, SegmentSum));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("setGemm", Napi::Function::New(env, SetGemm));
  return exports;
}

}  // namespace

NODE_API_MODULE(clipcl_native, Init)
