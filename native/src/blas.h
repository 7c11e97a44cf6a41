// The BLAS library the addon was built against, if any (binding.gyp defines
// CLIPCL_OPENBLAS on Linux when OpenBLAS was found, CLIPCL_ACCELERATE on
// macOS); without one, every GEMM runs the addon's own (sgemm.cc).
#pragma once
#include <string>

#if defined(CLIPCL_ACCELERATE)
#include <Accelerate/Accelerate.h>
#elif defined(CLIPCL_OPENBLAS)
#include <cblas.h>
#endif

namespace clipcl {

#if defined(CLIPCL_ACCELERATE)
constexpr bool kHaveBlas = true;
constexpr const char* kBlasName = "accelerate";
#elif defined(CLIPCL_OPENBLAS)
constexpr bool kHaveBlas = true;
constexpr const char* kBlasName = "openblas";
#else
constexpr bool kHaveBlas = false;
constexpr const char* kBlasName = "none";
#endif

/** Row-major C[m, n] = op(A) op(B); only called when kHaveBlas. */
inline void blas_sgemm(bool ta, bool tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb, float* c,
                       int ldc) {
#if defined(CLIPCL_ACCELERATE) || defined(CLIPCL_OPENBLAS)
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.f, a, lda, b, ldb,
              0.f, c, ldc);
#else
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c, (void)ldc;
#endif
}

/** The library's own thread count (Accelerate manages its threads itself: 0). */
inline int blas_threads() {
#if defined(CLIPCL_OPENBLAS)
  return openblas_get_num_threads();
#else
  return 0;
#endif
}

inline void blas_set_threads(int n) {
#if defined(CLIPCL_OPENBLAS)
  if (n > 0) openblas_set_num_threads(n);
#else
  (void)n;
#endif
}

/** OpenBLAS's build line and core name; empty elsewhere. */
inline std::string blas_config() {
#if defined(CLIPCL_OPENBLAS)
  return openblas_get_config();
#elif defined(CLIPCL_ACCELERATE)
  return "Apple Accelerate";
#else
  return "";
#endif
}

inline std::string blas_core() {
#if defined(CLIPCL_OPENBLAS)
  return openblas_get_corename();
#else
  return "";
#endif
}

}  // namespace clipcl
