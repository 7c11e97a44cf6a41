/**
 * Seeded Gaussian noise for initialising parameters, written straight into
 * a Float32Array without tensors in between. tfjs's seeded `randomNormal`
 * is the slow part of creating a large model (a fresh ViT-B/32 has 151 M
 * parameters); this is faster (see docs/clip.md) and equally deterministic,
 * and independent of tfjs's generator.
 *
 * Generator: mulberry32 (32-bit state, passes PractRand to 2^32 outputs)
 * seeded through splitmix32, Gaussian pairs by Marsaglia's polar method.
 *
 * @since 0.1.0
 */

/** splitmix32: decorrelates nearby seeds (seed, seed + 1, ...). */
const mix = (x: number): number => {
  x = (x + 0x9e3779b9) | 0
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

/**
 * `count` samples of N(0, std^2), the same for the same `seed`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const gaussian = (count: number, std: number, seed: number): Float32Array => {
  let state = mix(mix(seed >>> 0) ^ Math.floor(seed / 2 ** 32))
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = new Float32Array(count)
  for (let i = 0; i < count; i += 2) {
    // Marsaglia's polar method: a point in the unit disc gives two normals, no trigonometry.
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
