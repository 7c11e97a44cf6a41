/* Reference: OpenBLAS cblas_sgemm called straight from C, the ceiling the
 * tfjs BatchMatMul kernel is compared with (bench/compute.ts).
 * Usage: gemm_ref N [N...]; prints "N GFLOP/s" lines. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    int n = atoi(argv[i]);
    if (n <= 0) continue;
    float* a = malloc(sizeof(float) * n * n);
    float* b = malloc(sizeof(float) * n * n);
    float* c = malloc(sizeof(float) * n * n);
    for (int j = 0; j < n * n; ++j) { a[j] = (float)(j % 7) * 0.1f; b[j] = (float)(j % 5) * 0.2f; }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
    double flops = 2.0 * n * n * n, best = 1e30, t0 = now();
    int reps = 0;
    while (reps < 20 || (now() - t0 < 1.5 && reps < 5000)) {
      double s = now();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a, n, b, n, 0.f, c, n);
      double e = now() - s;
      if (e < best) best = e;
      ++reps;
    }
    printf("%d %.2f\n", n, flops / best / 1e9);
    free(a); free(b); free(c);
  }
  return 0;
}
