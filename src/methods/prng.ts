/**
 * A small seeded pseudo-random generator (mulberry32 seeded through
 * splitmix32) for every random draw a method makes: batch order, pseudo
 * vocabulary tokens, replay sampling. Never `Math.random`, so a run is
 * reproducible from its seed.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  /** A new permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): number[]
  /** An independent generator derived from this one's next draw. */
  fork(): Rng
}

const splitmix32 = (a: number): number => {
  a = (a + 0x9e3779b9) | 0
  let z = a
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/**
 * A generator seeded with `seed` (any integer; equal seeds give equal streams).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRng = (seed: number): Rng => {
  let state = splitmix32(seed | 0)
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  return {
    next,
    int,
    permutation: (n) => {
      const p = Array.from({ length: n }, (_, i) => i)
      for (let i = n - 1; i > 0; i--) {
        const j = int(i + 1)
        const t = p[i]
        p[i] = p[j]
        p[j] = t
      }
      return p
    },
    fork: () => makeRng(Math.floor(next() * 4294967296)),
  }
}
