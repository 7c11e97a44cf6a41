/**
 * The project's one pseudo-random generator, for every draw data, methods
 * and model initialisation make: shuffles, class orders, the synthetic
 * world, batch order, replay sampling, Gaussian weights. Never
 * `Math.random`: every draw follows from a seed, so a cache key that holds
 * the seed names the result exactly.
 *
 * The generator is mulberry32 (32-bit state, full 2^32 period, passes
 * PractRand to 2^32 outputs; small and fast enough to run per pixel). How a
 * stream is started is part of what a seed means, so the three ways in keep
 * the streams they always gave:
 * - `mulberry32(seed)` starts at `seed` itself (data);
 * - `makeRng(seed)` first decorrelates nearby seeds with `splitmix32`
 *   (methods: seed, seed + 1, ... give unrelated streams);
 * - `gaussian(count, std, seed)` folds all 53 bits of a seed in, for weights.
 * `mix` hashes integers into one (the murmur3 finaliser) to derive
 * independent streams from (seed, split, index) without drawing them in
 * sequence, which gives the synthetic world random access.
 *
 * Tensor-free and dependency-free: any layer may import it.
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
  /** A new permutation of 0..n-1 (Fisher-Yates). */
  readonly permutation: (n: number) => number[]
  /** An independent generator (`makeRng`) seeded by this one's next draw. */
  readonly fork: () => Rng
}

/**
 * splitmix32's output function: decorrelates nearby integers.
 *
 * @since 0.1.0
 * @category utils
 */
export const splitmix32 = (x: number): number => {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
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
 * A mulberry32 generator whose state starts at `seed` (taken modulo 2^32).
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
  const permutation = (n: number): number[] => {
    const p = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = int(i + 1)
      const t = p[i]!
      p[i] = p[j]!
      p[j] = t
    }
    return p
  }
  return { next, int, pick, uint32, permutation, fork: () => makeRng(Math.floor(next() * 4294967296)) }
}

/**
 * A generator seeded with `seed` through `splitmix32` (any integer; equal
 * seeds give equal streams, nearby seeds unrelated ones).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRng = (seed: number): Rng => mulberry32(splitmix32(seed | 0))

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

/**
 * `count` samples of N(0, std^2), the same for the same `seed`, written
 * straight into a Float32Array (Marsaglia's polar method: a point in the
 * unit disc gives two normals, no trigonometry). Faster than tfjs's seeded
 * `randomNormal` for a large model (see docs/clip.md) and independent of
 * tfjs's generator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const gaussian = (count: number, std: number, seed: number): Float32Array => {
  const uniform = mulberry32(splitmix32(splitmix32(seed >>> 0) ^ Math.floor(seed / 2 ** 32))).next
  const out = new Float32Array(count)
  for (let i = 0; i < count; i += 2) {
    let u = 0
    let v = 0
    let s = 0
    do {
      u = 2 * uniform() - 1
      v = 2 * uniform() - 1
      s = u * u + v * v
    } while (s >= 1 || s === 0)
    const f = std * Math.sqrt((-2 * Math.log(s)) / s)
    out[i] = u * f
    if (i + 1 < count) out[i + 1] = v * f
  }
  return out
}
