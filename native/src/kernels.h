// Float32 kernels over plain contiguous buffers. The N-API layer (addon.cc)
// only unpacks arguments; everything here is testable C++.
#pragma once
#include <cstddef>
#include <cstdint>

namespace clipcl {

enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDiff = 6 };
enum class UnaryOp : int {
  Exp = 0, Log = 1, Sigmoid = 2, Tanh = 3, Erf = 4, Sqrt = 5, Rsqrt = 6,
  Square = 7, Neg = 8, Relu = 9, Abs = 10, Reciprocal = 11,
  QuickGelu = 12,  // x * sigmoid(1.702 x), OpenAI CLIP's MLP activation
  Gelu = 13        // 0.5 x (1 + erf(x / sqrt 2))
};
enum class ReduceOp : int { Sum = 0, Mean = 1, Max = 2, Min = 3 };

constexpr int kMaxRank = 8;

/** "openblas", "accelerate" or "vendored": the GEMM `gemm` runs now. */
const char* gemm_impl();
/** Selects "vendored" or the linked BLAS ("blas" or its name); false if unavailable. */
bool set_gemm_impl(const char* name);

/** Row-major batched C[i] = op(A[i]) op(B[i]); a zero batch stride broadcasts. */
void gemm(const float* a, const float* b, float* c, int batch, int m, int n, int k, bool trans_a, bool trans_b,
          std::size_t stride_a, std::size_t stride_b);

/** out = a op b over `shape` with per-operand element strides (0 = broadcast). */
void binary(BinaryOp op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
            const int64_t* stride_a, const int64_t* stride_b);

void unary(UnaryOp op, const float* x, float* out, std::size_t n);

/** dx = dy * f'(x) for QuickGelu and Gelu. */
void activation_grad(UnaryOp op, const float* dy, const float* x, float* dx, std::size_t n);

/** Row-wise softmax over the last axis of a [rows, cols] buffer. */
void softmax(const float* x, float* out, std::size_t rows, std::size_t cols);

/** The softmax gradient from its output y: dx = y * (dy - sum(dy * y)) per row. */
void softmax_grad(const float* y, const float* dy, float* dx, std::size_t rows, std::size_t cols);

/**
 * Layer norm over the last axis of [rows, cols]: (x - mean) / sqrt(var + eps)
 * * gamma + beta, with the biased variance (PyTorch's nn.LayerNorm).
 */
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, std::size_t rows, std::size_t cols,
                float eps);

/** Its gradient: dx [rows, cols], dgamma and dbeta [cols] (overwritten). */
void layer_norm_grad(const float* dy, const float* x, const float* gamma, float* dx, float* dgamma, float* dbeta,
                     std::size_t rows, std::size_t cols, float eps);

/**
 * One Adam step over n values, in place on w, m and v (PyTorch's Adam with
 * L2 weight decay): g' = g * grad_scale + weight_decay * w;
 * m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
 * w -= step * m / (sqrt(v / c2) + eps), where step = lr / (1 - b1^t), c2 = 1 - b2^t.
 * `out` may be `w` (in place) or another buffer that receives the new weights.
 */
void adam(const float* w, const float* g, float* m, float* v, float* out, std::size_t n, float step, double beta1,
          double beta2, float eps, float c2, float weight_decay, float grad_scale);

/** Reduce the middle axis of a [outer, mid, inner] buffer to [outer, inner]. */
void reduce(ReduceOp op, const float* x, float* out, std::size_t outer, std::size_t mid, std::size_t inner);

/** out = x transposed: out dim i is input dim perm[i]. */
void transpose(const float* x, float* out, int rank, const int64_t* shape, const int* perm);

/** Rows of a [rows, width] table picked by ids (out-of-range ids give zeros). */
void gather_rows(const float* table, std::size_t rows, std::size_t width, const int32_t* ids, std::size_t count,
                 float* out);

/** out[ids[i]] += x[i] over rows; out must be zeroed, has `segments` rows. */
void segment_sum(const float* x, std::size_t count, std::size_t width, const int32_t* ids, std::size_t segments,
                 float* out);

/**
 * Copies a strided block: for every index i of `shape`,
 * dst[dst_offset + i . dst_stride] = src[src_offset + i . src_stride].
 * Slice, split and pad are all this one copy.
 */
void copy_block(const float* src, float* dst, int rank, const int64_t* shape, const int64_t* src_stride,
                const int64_t* dst_stride);

}  // namespace clipcl
