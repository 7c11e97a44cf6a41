// A cache-blocked SGEMM in portable C++ (GCC/Clang vector extensions, no
// intrinsics), in the classic layout of fast BLAS libraries:
//
//   for each NC-wide column block of B and KC-deep slice of k:
//     pack the KC x NC block of B into NR-wide panels (stays in L2/L3);
//     for each MC-tall row block of A (one per thread at a time):
//       pack the MC x KC block of A into MR-tall panels (stays in L2);
//       for each B panel (L1), for each A panel: an MR x NR register tile.
//
// The register tile is 6 x 16 floats: twelve 8-wide accumulators, two B
// vectors and one broadcast A value, which fills AVX2's sixteen registers and
// compiles to fused multiply-adds under -march=native; on other targets the
// compiler splits the vectors to what the machine has (NEON, SSE).
#include "sgemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "pool.h"

namespace clipcl {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;
constexpr int KC = 256;   // an A panel (6 x 256) and a B panel (256 x 16) fit L1 together
constexpr int MC = 96;    // an A block (96 x 256 floats, 96 KiB) fits L2
constexpr int NC = 3072;  // a B block (256 x 3072 floats, 3 MiB) is shared by the threads

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

/** A grow-only 64-byte aligned scratch buffer (one per thread). */
struct Scratch {
  float* data = nullptr;
  std::size_t capacity = 0;
  float* get(std::size_t n) {
    if (n > capacity) {
      std::free(data);
      const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity = n;
    }
    return data;
  }
  ~Scratch() { std::free(data); }
};

thread_local Scratch a_scratch;
thread_local Scratch b_scratch;

struct Operand {
  const float* p;
  std::ptrdiff_t rs, cs;  // element (i, j) at p[i * rs + j * cs]
};

/** MR-tall panels of the mc x kc block of A at (i0, p0): panel[p * MR + r]; rows past mc are zero. */
void pack_a(const Operand& a, int i0, int p0, int mc, int kc, float* out) {
  for (int ir = 0; ir < mc; ir += MR) {
    float* dst = out + static_cast<std::ptrdiff_t>(ir) * kc;
    const int rows = std::min(MR, mc - ir);
    if (a.cs == 1) {
      for (int r = 0; r < rows; ++r) {
        const float* src = a.p + (i0 + ir + r) * a.rs + p0;
        for (int p = 0; p < kc; ++p) dst[p * MR + r] = src[p];
      }
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* src = a.p + (i0 + ir) * a.rs + (p0 + p) * a.cs;
        for (int r = 0; r < rows; ++r) dst[p * MR + r] = src[r * a.rs];
      }
    }
    for (int r = rows; r < MR; ++r)
      for (int p = 0; p < kc; ++p) dst[p * MR + r] = 0.f;
  }
}

/** NR-wide panels of panels [q0, q1) of the kc x nc block of B at (p0, j0): panel[p * NR + j]; columns past nc are zero. */
void pack_b(const Operand& b, int p0, int j0, int kc, int nc, int q0, int q1, float* out) {
  for (int q = q0; q < q1; ++q) {
    const int jr = q * NR;
    float* dst = out + static_cast<std::ptrdiff_t>(jr) * kc;
    const int cols = std::min(NR, nc - jr);
    if (b.cs == 1 && cols == NR) {
      for (int p = 0; p < kc; ++p) std::memcpy(dst + p * NR, b.p + (p0 + p) * b.rs + j0 + jr, NR * sizeof(float));
    } else if (b.rs == 1) {
      for (int j = 0; j < cols; ++j) {
        const float* src = b.p + (j0 + jr + j) * b.cs + p0;
        for (int p = 0; p < kc; ++p) dst[p * NR + j] = src[p];
      }
      for (int j = cols; j < NR; ++j)
        for (int p = 0; p < kc; ++p) dst[p * NR + j] = 0.f;
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* src = b.p + (p0 + p) * b.rs + (j0 + jr) * b.cs;
        for (int j = 0; j < cols; ++j) dst[p * NR + j] = src[j * b.cs];
        for (int j = cols; j < NR; ++j) dst[p * NR + j] = 0.f;
      }
    }
  }
}

/** The MR x NR register tile: C (+)= A panel . B panel over kc. */
inline void tile(int kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c, std::ptrdiff_t ldc,
                 bool add) {
  v8 c00{}, c01{}, c10{}, c11{}, c20{}, c21{}, c30{}, c31{}, c40{}, c41{}, c50{}, c51{};
  for (int p = 0; p < kc; ++p) {
    const v8 b0 = *reinterpret_cast<const v8*>(pb);
    const v8 b1 = *reinterpret_cast<const v8*>(pb + 8);
    float a = pa[0];
    c00 += a * b0;
    c01 += a * b1;
    a = pa[1];
    c10 += a * b0;
    c11 += a * b1;
    a = pa[2];
    c20 += a * b0;
    c21 += a * b1;
    a = pa[3];
    c30 += a * b0;
    c31 += a * b1;
    a = pa[4];
    c40 += a * b0;
    c41 += a * b1;
    a = pa[5];
    c50 += a * b0;
    c51 += a * b1;
    pa += MR;
    pb += NR;
  }
  auto row = [&](int r, v8 lo, v8 hi) {
    v8u* dst = reinterpret_cast<v8u*>(c + r * ldc);
    if (add) {
      dst[0] += lo;
      dst[1] += hi;
    } else {
      dst[0] = lo;
      dst[1] = hi;
    }
  };
  row(0, c00, c01);
  row(1, c10, c11);
  row(2, c20, c21);
  row(3, c30, c31);
  row(4, c40, c41);
  row(5, c50, c51);
}

/** One A block against B panels [q0, q1): full tiles straight into C, edge tiles through a small buffer. */
void macro(int mc, int nc, int kc, const float* pa, const float* pb, int q0, int q1, float* c, std::ptrdiff_t ldc,
           bool add) {
  alignas(64) float edge[MR * NR];
  for (int q = q0; q < q1; ++q) {
    const int jr = q * NR;
    const int cols = std::min(NR, nc - jr);
    const float* bp = pb + static_cast<std::ptrdiff_t>(jr) * kc;
    for (int ir = 0; ir < mc; ir += MR) {
      const int rows = std::min(MR, mc - ir);
      const float* ap = pa + static_cast<std::ptrdiff_t>(ir) * kc;
      float* ct = c + ir * ldc + jr;
      if (rows == MR && cols == NR) {
        tile(kc, ap, bp, ct, ldc, add);
        continue;
      }
      tile(kc, ap, bp, edge, NR, false);
      for (int r = 0; r < rows; ++r)
        for (int j = 0; j < cols; ++j) ct[r * ldc + j] = add ? ct[r * ldc + j] + edge[r * NR + j] : edge[r * NR + j];
    }
  }
}

}  // namespace

void sgemm_vendored(int m, int n, int k, const float* a, std::ptrdiff_t rsa, std::ptrdiff_t csa, const float* b,
                    std::ptrdiff_t rsb, std::ptrdiff_t csb, float* c, std::ptrdiff_t ldc, bool threaded) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; ++i) std::memset(c + i * ldc, 0, sizeof(float) * n);
    return;
  }
  const Operand A{a, rsa, csa}, B{b, rsb, csb};
  // Waking the pool costs ~20 us: worth it from about a million multiply-adds.
  const int threads = threaded && static_cast<double>(m) * n * k >= 1e6 ? pool_threads() : 1;
  const int ic_blocks = (m + MC - 1) / MC;
  for (int j0 = 0; j0 < n; j0 += NC) {
    const int nc = std::min(NC, n - j0);
    const int panels = (nc + NR - 1) / NR;
    // Few row blocks (a short A): split the B panels too, each thread packing its A block.
    const int jsplit = ic_blocks >= threads ? 1 : std::min(panels, (threads + ic_blocks - 1) / ic_blocks);
    const std::size_t tasks = static_cast<std::size_t>(ic_blocks) * jsplit;
    for (int p0 = 0; p0 < k; p0 += KC) {
      const int kc = std::min(KC, k - p0);
      const bool add = p0 > 0;
      float* pb = b_scratch.get(static_cast<std::size_t>(panels) * NR * kc);
      if (threads > 1) {
        parallel_for(static_cast<std::size_t>(panels), 1, [&](std::size_t lo, std::size_t hi) {
          pack_b(B, p0, j0, kc, nc, static_cast<int>(lo), static_cast<int>(hi), pb);
        });
      } else {
        pack_b(B, p0, j0, kc, nc, 0, panels, pb);
      }
      auto run = [&](std::size_t lo, std::size_t hi) {
        int packed = -1;
        float* pa = a_scratch.get(static_cast<std::size_t>(MC) * kc);
        for (std::size_t t = lo; t < hi; ++t) {
          const int ib = static_cast<int>(t / jsplit), js = static_cast<int>(t % jsplit);
          const int i0 = ib * MC, mc = std::min(MC, m - i0);
          if (packed != ib) {
            pack_a(A, i0, p0, mc, kc, pa);
            packed = ib;
          }
          const int q0 = panels * js / jsplit, q1 = panels * (js + 1) / jsplit;
          macro(mc, nc, kc, pa, pb, q0, q1, c + i0 * ldc + j0, ldc, add);
        }
      };
      if (threads > 1) parallel_for(tasks, 1, run);
      else run(0, tasks);
    }
  }
}

}  // namespace clipcl
