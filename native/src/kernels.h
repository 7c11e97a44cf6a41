// Float32 kernels over plain contiguous buffers. The N-API layer (addon.cc)
// only unpacks arguments; everything here is testable C++.
#pragma once
#include <cstddef>
#include <cstdint>

namespace clipcl {

enum class BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDiff = 6 };
enum class UnaryOp : int {
  Exp = 0, Log = 1, Sigmoid = 2, Tanh = 3, Erf = 4, Sqrt = 5, Rsqrt = 6,
  Square = 7, Neg = 8, Relu = 9, Abs = 10, Reciprocal = 11
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

/** Row-wise softmax over the last axis of a [rows, cols] buffer. */
void softmax(const float* x, float* out, std::size_t rows, std::size_t cols);

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
