/**
 * Draws a scene into raw RGB pixels (HWC). Fast by construction (the world
 * must make tens of thousands of images a second on one core): shapes are
 * binary masks computed once per (shape, radius) and blitted; patterns are
 * integer arithmetic per pixel; noise is read from one fixed table at a
 * per-image offset instead of drawn per pixel.
 *
 * @since 0.1.0
 */
import { mulberry32 } from "../../random.js"
import { backgroundTones, colourRgb, type Shape } from "./attributes.js"
import type { Scene, SceneObject } from "./scene.js"

/** Whether the point (u, v) of the unit box (v pointing down) is inside the shape. */
const inside = (shape: Shape, u: number, v: number): boolean => {
  const r2 = u * u + v * v
  switch (shape) {
    case "circle": return r2 <= 0.93
    case "square": return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8
    case "diamond": return Math.abs(u) + Math.abs(v) <= 1.05
    case "triangle": return v >= -0.95 && v <= 0.8 && Math.abs(u) <= ((v + 0.95) / 1.75) * 1.05
    case "cross": return (Math.abs(u) <= 0.32 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.32 && Math.abs(u) <= 1)
    case "ring": return r2 <= 0.95 && r2 >= 0.3
    case "arrow": return (u >= -1 && u <= 0.05 && Math.abs(v) <= 0.3) || (u >= 0 && u <= 1 && Math.abs(v) <= (1 - u) * 0.95)
    case "semicircle": return r2 <= 0.93 && v <= 0.2
    case "bowtie": return Math.abs(u) <= 0.95 && Math.abs(v) <= Math.abs(u) * 0.95 + 0.12
    case "frame": return Math.max(Math.abs(u), Math.abs(v)) <= 0.85 && Math.max(Math.abs(u), Math.abs(v)) >= 0.45
    case "hexagon": return Math.abs(v) <= 0.88 && Math.abs(u) * 0.88 + Math.abs(v) * 0.5 <= 0.9
    case "crescent": {
      const du = u - 0.45
      const dv = v + 0.2
      return r2 <= 1.05 && du * du + dv * dv > 0.55
    }
    case "heart": {
      const x = u * 1.2
      const y = -v * 1.25 + 0.2
      const a = x * x + y * y - 1
      return a * a * a - x * x * y * y * y <= 0
    }
    case "star": {
      const rho = Math.sqrt(r2)
      if (rho === 0) return true
      // Angle from the nearest of five points (the first points up), folded into [0, pi/5].
      const sector = (2 * Math.PI) / 5
      let th = Math.atan2(u, -v)
      th = ((th % sector) + sector) % sector
      const phi = Math.min(th, sector - th)
      const ri = 0.5
      const a = Math.PI / 5
      const edge = (ri * Math.sin(a)) / (Math.cos(phi) * ri * Math.sin(a) - Math.sin(phi) * (ri * Math.cos(a) - 1))
      return rho <= edge * 1.08
    }
  }
}

/**
 * A shape's mask at an integer radius: `(2r+1)^2` bytes, 1 inside; `depth`
 * is each inside pixel's squared distance to the outline (0 outside), and
 * `probe` the deepest pixel (offsets from the centre).
 *
 * @since 0.1.0
 * @category models
 */
export interface ShapeMask {
  readonly radius: number
  readonly side: number
  readonly bits: Uint8Array
  readonly depth: Uint16Array
  readonly probe: readonly [number, number]
}

const masks = new Map<string, ShapeMask>()

/**
 * The cached mask of `shape` at `radius` pixels.
 *
 * @since 0.1.0
 * @category utils
 */
export const shapeMask = (shape: Shape, radius: number): ShapeMask => {
  const key = `${shape}:${radius}`
  const hit = masks.get(key)
  if (hit) return hit
  const side = 2 * radius + 1
  const bits = new Uint8Array(side * side)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      bits[y * side + x] = inside(shape, (x - radius) / radius, (y - radius) / radius) ? 1 : 0
    }
  }
  // Depth: squared distance to the nearest outside pixel (or beyond the box edge).
  const depth = new Uint16Array(side * side)
  let best = -1
  let probe: [number, number] = [0, 0]
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (!bits[y * side + x]) continue
      let d = Math.min(x + 1, y + 1, side - x, side - y) ** 2
      for (let yy = 0; yy < side; yy++) {
        for (let xx = 0; xx < side; xx++) {
          if (!bits[yy * side + xx]) d = Math.min(d, (xx - x) ** 2 + (yy - y) ** 2)
        }
      }
      depth[y * side + x] = d
      if (d > best) {
        best = d
        probe = [x - radius, y - radius]
      }
    }
  }
  const m = { radius, side, bits, depth, probe }
  masks.set(key, m)
  return m
}

const NOISE_BITS = 16
const noiseTable = (() => {
  const rng = mulberry32(0x6e6f6973)
  const t = new Uint8Array(1 << NOISE_BITS)
  for (let i = 0; i < t.length; i++) t[i] = rng.int(256)
  return t
})()
const NOISE_MASK = (1 << NOISE_BITS) - 1

const clamp = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x)

/** Pattern weight per pixel (0 = first tone, 255 = second), one tight loop per pattern. */
const patternWeights = (scene: Scene, size: number, t: Uint8Array) => {
  const p = scene.period
  const ph = scene.phase
  const vertical = scene.vertical
  switch (scene.background) {
    case "plain":
      t.fill(0)
      return
    case "striped":
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) t[y * size + x] = (Math.floor(((vertical ? x : y) + ph) / p) & 1) * 255
      }
      return
    case "checkered":
      for (let y = 0; y < size; y++) {
        const ry = Math.floor((y + ph) / p)
        for (let x = 0; x < size; x++) t[y * size + x] = ((Math.floor((x + ph) / p) + ry) & 1) * 255
      }
      return
    case "dotted": {
      const r2 = (p * p) / 2.5
      for (let y = 0; y < size; y++) {
        const dy = ((y + ph) % (2 * p)) - p
        for (let x = 0; x < size; x++) {
          const dx = ((x + ph) % (2 * p)) - p
          t[y * size + x] = dx * dx + dy * dy <= r2 ? 255 : 0
        }
      }
      return
    }
    case "noisy": {
      const n0 = scene.noise
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) t[y * size + x] = noiseTable[(n0 + y * 97 + x * 13) & NOISE_MASK]!
      }
      return
    }
    case "grid":
      for (let y = 0; y < size; y++) {
        const line = (y + ph) % p === 0
        for (let x = 0; x < size; x++) t[y * size + x] = line || (x + ph) % p === 0 ? 255 : 0
      }
      return
    case "wavy": {
      const wave = Float64Array.from({ length: size }, (_, i) => Math.sin((i + ph) * ((2 * Math.PI) / (2.5 * p))) * p * 0.6)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const s = vertical ? x : y
          const o = vertical ? y : x
          t[y * size + x] = (Math.floor((s + wave[o]! + 64 * p) / p) & 1) * 255
        }
      }
      return
    }
    case "gradient":
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) t[y * size + x] = Math.round((255 * (vertical ? x : y)) / Math.max(1, size - 1))
      }
      return
  }
}

let weights = new Uint8Array(0)

const paintBackground = (scene: Scene, size: number, out: Uint8Array, offset: number) => {
  if (weights.length !== size * size) weights = new Uint8Array(size * size)
  patternWeights(scene, size, weights)
  const a = backgroundTones[scene.tones[0]]!
  const b = backgroundTones[scene.tones[1]]!
  const a0 = a[0], a1 = a[1], a2 = a[2]
  const d0 = b[0] - a0, d1 = b[1] - a1, d2 = b[2] - a2
  for (let q = 0, i = offset; q < weights.length; q++, i += 3) {
    const t = weights[q]!
    out[i] = a0 + ((d0 * t) >> 8)
    out[i + 1] = a1 + ((d1 * t) >> 8)
    out[i + 2] = a2 + ((d2 * t) >> 8)
  }
}

const paintObject = (o: SceneObject, size: number, out: Uint8Array, offset: number) => {
  const m = shapeMask(o.shape, o.radius)
  const rgb = colourRgb[o.colour]
  const r = clamp(rgb[0] + o.jitter[0])
  const g = clamp(rgb[1] + o.jitter[1])
  const bl = clamp(rgb[2] + o.jitter[2])
  const x0 = o.cx - o.radius
  const y0 = o.cy - o.radius
  for (let my = 0; my < m.side; my++) {
    const y = y0 + my
    if (y < 0 || y >= size) continue
    for (let mx = 0; mx < m.side; mx++) {
      const x = x0 + mx
      if (x < 0 || x >= size || !m.bits[my * m.side + mx]) continue
      const i = offset + (y * size + x) * 3
      out[i] = r
      out[i + 1] = g
      out[i + 2] = bl
    }
  }
}

/**
 * Draws `scene` as a `size x size` RGB image into `out` at `offset`:
 * background, then objects last to first (the main object on top), then a
 * faint noise of `pixelNoise` levels either way (default 8; 0 for none) so
 * no two images share exact pixel values.
 *
 * @since 0.1.0
 * @category utils
 */
export const renderScene = (scene: Scene, size: number, out: Uint8Array, offset = 0, pixelNoise = 8): void => {
  paintBackground(scene, size, out, offset)
  for (let k = scene.objects.length - 1; k >= 0; k--) paintObject(scene.objects[k]!, size, out, offset)
  if (pixelNoise <= 0) return
  const n = size * size * 3
  const n0 = scene.noise >>> 3
  const span = 2 * pixelNoise
  for (let i = 0; i < n; i++) {
    const v = out[offset + i]! + ((noiseTable[(n0 + i) & NOISE_MASK]! * span) >> 8) - pixelNoise
    out[offset + i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
}

/**
 * Pixel coordinates of a point inside the object, within a `size x size`
 * image: the deepest mask pixel that is on the image (the object is drawn
 * last there, so the pixel shows its colour up to jitter and noise).
 *
 * @since 0.1.0
 * @category utils
 */
export const probePoint = (o: SceneObject, size: number): readonly [number, number] => {
  const m = shapeMask(o.shape, o.radius)
  let best = 0
  let at: [number, number] = [o.cx + m.probe[0], o.cy + m.probe[1]]
  for (let my = 0; my < m.side; my++) {
    const y = o.cy - o.radius + my
    if (y < 0 || y >= size) continue
    for (let mx = 0; mx < m.side; mx++) {
      const x = o.cx - o.radius + mx
      const d = m.depth[my * m.side + mx]!
      if (x >= 0 && x < size && d > best) {
        best = d
        at = [x, y]
      }
    }
  }
  return at
}
