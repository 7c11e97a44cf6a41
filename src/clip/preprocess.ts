/**
 * CLIP's image preprocessing, as Hugging Face's `CLIPImageProcessor` does
 * it: decode (sharp, `formats/image.ts`: JPEG, PNG, WebP, ...), convert to RGB, resize the short
 * side to the model resolution with bicubic filtering, center-crop, scale to
 * [0, 1] and normalise with CLIP's mean and std; output NHWC.
 *
 * sharp only decodes. The resize is our own separable bicubic with Pillow's
 * conventions (Keys cubic a = -0.5, the kernel widened by the scale factor
 * when shrinking, weights normalised per output pixel, 8-bit rounding after
 * the horizontal and the vertical pass), because Pillow is what the
 * reference preprocessors use and libvips' cubic differs in its support and
 * rounding. The same code serves raw pixel arrays (IDX / CIFAR, grey or
 * RGB), so a data set gives the same pixels whether decoded from files or
 * read raw.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { decodeImage, type RawImage } from "../formats/image.js"
import { ClipInputError } from "./errors.js"

/** CLIP's per-channel mean (RGB). @since 0.1.0 @category utils */
export const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const
/** CLIP's per-channel std (RGB). @since 0.1.0 @category utils */
export const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const

/**
 * 8-bit pixels, row-major HWC; decoding (`decodeImage`) is
 * `formats/image.ts`'s, shared with the data readers.
 *
 * @since 0.1.0
 * @category models
 */
export type { RawImage }

/** @since 0.1.0 @category constructors */
export { decodeImage }

/** Keys' cubic convolution kernel with a = -0.5 (Pillow's BICUBIC). */
const cubic = (x: number): number => {
  const a = -0.5
  const t = Math.abs(x)
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a
  return 0
}

/**
 * Per output pixel: the first input index and the normalised weights of the
 * inputs it reads, for resizing `inSize` to `outSize` along one axis.
 *
 * @since 0.1.0
 * @category utils
 */
export const bicubicWeights = (inSize: number, outSize: number): { readonly start: Int32Array; readonly taps: number; readonly weights: Float64Array } => {
  const scale = inSize / outSize
  const filterScale = Math.max(scale, 1)
  const support = 2 * filterScale
  const taps = Math.ceil(support) * 2 + 1
  const start = new Int32Array(outSize)
  const weights = new Float64Array(outSize * taps)
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0)
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize)
    let sum = 0
    for (let i = lo; i < hi; i++) {
      const w = cubic((i - centre + 0.5) / filterScale)
      weights[o * taps + (i - lo)] = w
      sum += w
    }
    if (sum !== 0) for (let i = 0; i < hi - lo; i++) weights[o * taps + i]! /= sum
    start[o] = lo
  }
  return { start, taps, weights }
}

const clip8 = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5))

/**
 * Resizes an 8-bit image to `outWidth` x `outHeight` (bicubic, Pillow's
 * conventions), then keeps the `cropWidth` x `cropHeight` window at
 * (`left`, `top`) of the result; only the kept pixels are computed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const resizeBicubic = (
  img: RawImage,
  outWidth: number,
  outHeight: number,
  crop: { readonly left: number; readonly top: number; readonly width: number; readonly height: number } = { left: 0, top: 0, width: outWidth, height: outHeight }
): RawImage => {
  const { width: w, height: h, channels: c, data } = img
  const hw = bicubicWeights(w, outWidth)
  const vw = bicubicWeights(h, outHeight)
  // Horizontal pass over the input rows the kept output rows read.
  const rowLo = crop.height === 0 ? 0 : vw.start[crop.top]!
  let rowHi = rowLo
  for (let y = crop.top; y < crop.top + crop.height; y++) {
    let last = vw.start[y]!
    for (let k = 0; k < vw.taps; k++) if (vw.weights[y * vw.taps + k] !== 0) last = vw.start[y]! + k
    rowHi = Math.max(rowHi, last + 1)
  }
  rowHi = Math.min(Math.max(rowHi, rowLo + 1), h)
  const mid = new Uint8Array((rowHi - rowLo) * crop.width * c)
  for (let y = rowLo; y < rowHi; y++) {
    for (let x = 0; x < crop.width; x++) {
      const ox = x + crop.left
      const s = hw.start[ox]!
      for (let ch = 0; ch < c; ch++) {
        let acc = 0
        for (let k = 0; k < hw.taps; k++) {
          const wt = hw.weights[ox * hw.taps + k]!
          if (wt !== 0) acc += wt * data[(y * w + s + k) * c + ch]!
        }
        mid[((y - rowLo) * crop.width + x) * c + ch] = clip8(acc)
      }
    }
  }
  const out = new Uint8Array(crop.width * crop.height * c)
  for (let y = 0; y < crop.height; y++) {
    const oy = y + crop.top
    const s = vw.start[oy]!
    for (let x = 0; x < crop.width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0
        for (let k = 0; k < vw.taps; k++) {
          const wt = vw.weights[oy * vw.taps + k]!
          if (wt !== 0) acc += wt * mid[((s + k - rowLo) * crop.width + x) * c + ch]!
        }
        out[(y * crop.width + x) * c + ch] = clip8(acc)
      }
    }
  }
  return { data: out, width: crop.width, height: crop.height, channels: c }
}

/**
 * The geometry of "resize the short side to `size`, center-crop `size` x
 * `size`": the resized dimensions (the long side truncated, as Hugging
 * Face does) and the crop offsets (floored).
 *
 * @since 0.1.0
 * @category utils
 */
export const shortSideGeometry = (width: number, height: number, size: number) => {
  const [outWidth, outHeight] = width <= height
    ? [size, Math.max(size, Math.trunc((size * height) / width))]
    : [Math.max(size, Math.trunc((size * width) / height)), size]
  return { outWidth, outHeight, left: Math.floor((outWidth - size) / 2), top: Math.floor((outHeight - size) / 2) }
}

/**
 * One image to the model's input: short side to `size`, center crop,
 * [0, 1], CLIP mean / std, grey replicated to RGB; HWC float32
 * (size x size x 3).
 *
 * @since 0.1.0
 * @category combinators
 */
export const preprocessRaw = (img: RawImage, size: number): Float32Array => {
  if (img.data.length !== img.width * img.height * img.channels) {
    throw new ClipInputError({ tensor: "image", reason: `${img.data.length} bytes for ${img.width} x ${img.height} x ${img.channels}` })
  }
  if (img.width < 1 || img.height < 1 || !(size >= 1)) throw new ClipInputError({ tensor: "image", reason: `empty image or size ${size}` })
  const g = shortSideGeometry(img.width, img.height, size)
  const r = img.width === size && img.height === size
    ? img
    : resizeBicubic(img, g.outWidth, g.outHeight, { left: g.left, top: g.top, width: size, height: size })
  const out = new Float32Array(size * size * 3)
  for (let p = 0; p < size * size; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = r.data[p * r.channels + (r.channels === 1 ? 0 : ch)]! / 255
      out[p * 3 + ch] = (v - CLIP_MEAN[ch]!) / CLIP_STD[ch]!
    }
  }
  return out
}

/**
 * Decodes and preprocesses one image file (path or bytes).
 *
 * @since 0.1.0
 * @category combinators
 */
export const preprocessImage = async (input: string | Uint8Array, size: number): Promise<Float32Array> =>
  preprocessRaw(await decodeImage(input), size)

/**
 * Decodes and preprocesses images into one NHWC batch [n, size, size, 3].
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadImages = async (inputs: ReadonlyArray<string | Uint8Array>, size: number): Promise<tf.Tensor4D> => {
  const out = new Float32Array(inputs.length * size * size * 3)
  for (let i = 0; i < inputs.length; i++) out.set(await preprocessImage(inputs[i]!, size), i * size * size * 3)
  return tf.tensor4d(out, [inputs.length, size, size, 3])
}

/**
 * A batch of raw 8-bit images stored back to back (IDX: n x h x w grey;
 * CIFAR after reordering: n x h x w x 3) to an NHWC model batch.
 *
 * @since 0.1.0
 * @category constructors
 */
export const preprocessPixels = (
  data: Uint8Array,
  shape: { readonly count: number; readonly height: number; readonly width: number; readonly channels: 1 | 3 },
  size: number
): tf.Tensor4D => {
  const per = shape.height * shape.width * shape.channels
  if (data.length !== shape.count * per) {
    throw new ClipInputError({ tensor: "pixels", reason: `${data.length} bytes, expected ${shape.count} x ${shape.height} x ${shape.width} x ${shape.channels} = ${shape.count * per}` })
  }
  const out = new Float32Array(shape.count * size * size * 3)
  for (let i = 0; i < shape.count; i++) {
    const img: RawImage = { data: data.subarray(i * per, (i + 1) * per), width: shape.width, height: shape.height, channels: shape.channels }
    out.set(preprocessRaw(img, size), i * size * size * 3)
  }
  return tf.tensor4d(out, [shape.count, size, size, 3])
}
