// The addon's own single-precision GEMM: used where no BLAS library was found
// at build time, or when CLIPCL_GEMM=vendored forces it (CI and tests).
#pragma once
#include <cstddef>

namespace clipcl {

/**
 * C[m, n] = A[m, k] . B[k, n], with A(i, p) = a[i * rsa + p * csa] and
 * B(p, j) = b[p * rsb + j * csb] (so either operand may be transposed), and C
 * row-major with leading dimension ldc. C is overwritten. `threaded` lets it
 * split the work across the element-wise pool; callers already running on a
 * pool thread pass false.
 */
void sgemm_vendored(int m, int n, int k, const float* a, std::ptrdiff_t rsa, std::ptrdiff_t csa, const float* b,
                    std::ptrdiff_t rsb, std::ptrdiff_t csb, float* c, std::ptrdiff_t ldc, bool threaded);

}  // namespace clipcl
