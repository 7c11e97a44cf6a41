/**
 * Deterministic randomness for data: shuffles, class orders and the synthetic
 * world. Never `Math.random`: every draw follows from a seed, so a cache key
 * that holds the seed names the bytes exactly.
 *
 * `mulberry32` is a 32-bit generator with a full 2^32 period, small and fast
 * enough to run per pixel; `mix` is a 32-bit integer hash (the murmur3
 * finaliser) used to derive independent streams from (seed, split, index)
 * without drawing them in sequence, which gives the synthetic world random
 * access.
 *
 * @since 0.1.0
 */

/**
 * A seeded pseudo-random generator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number
  /** Uniform integer in [0, n). */
  readonly int: (n: number) => number
  /** One element of a non-empty array, uniformly. */
  readonly pick: <A>(xs: ReadonlyArray<A>) => A
  /** Uniform 32-bit unsigned integer. */
  readonly uint32: () => number
}

/**
 * Hashes any number of integers into one 32-bit unsigned integer.
 *
 * @since 0.1.0
 * @category utils
 */
export const mix = (...xs: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    h = (h + 0x7f4a7c15) | 0
  }
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  return h >>> 0
}

/**
 * A mulberry32 generator started at `seed`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const mulberry32 = (seed: number): Rng => {
  let a = seed >>> 0
  const uint32 = () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return (t ^ (t >>> 14)) >>> 0
  }
  const next = () => uint32() / 4294967296
  const int = (n: number) => Math.floor(next() * n)
  const pick = <A>(xs: ReadonlyArray<A>): A => xs[int(xs.length)]!
  return { next, int, pick, uint32 }
}

/**
 * A uniformly random permutation of `0 .. n-1` (Fisher-Yates).
 *
 * @since 0.1.0
 * @category utils
 */
export const permutation = (n: number, seed: number): Int32Array => {
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) out[i] = i
  const rng = mulberry32(mix(seed, 0x5eed))
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}
