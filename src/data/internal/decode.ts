/**
 * Image decoding with sharp (libvips): any JPEG/PNG/WebP/TIFF in, raw RGB
 * HWC bytes of a fixed size out. Resizing uses `fit: "cover"` (scale the
 * shorter side to the target, centre-crop the longer), the geometry of CLIP's
 * resize + centre-crop, so preprocessing downstream only normalises.
 */
import sharp from "sharp"
import { ImageDecodeError } from "../errors.js"

export interface Box {
  readonly left: number
  readonly top: number
  readonly width: number
  readonly height: number
}

/** A decoded image at its own size, kept to cut several crops from it. */
export interface RawImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
}

/** Decodes a whole image to RGB at its stored size (no EXIF rotation: boxes index stored pixels). */
export const decodeFull = async (file: string, record: number): Promise<RawImage> => {
  try {
    const { data, info } = await sharp(file).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`)
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height }
  } catch (cause) {
    throw new ImageDecodeError({ file, record, cause })
  }
}

/** Decodes `file` and resizes (cover) to `height x width` RGB. */
export const decodeResized = async (file: string, record: number, height: number, width: number): Promise<Uint8Array> => {
  try {
    const data = await sharp(file)
      .removeAlpha()
      .toColourspace("srgb")
      .resize(width, height, { fit: "cover", position: "centre" })
      .raw()
      .toBuffer()
    if (data.length !== height * width * 3) throw new Error(`decoded to ${data.length} bytes`)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  } catch (cause) {
    throw new ImageDecodeError({ file, record, cause })
  }
}

/** Cuts `box` (clamped to the image, whole pixels) from a decoded image and resizes it (cover). */
export const cropResized = async (
  img: RawImage,
  box: Box,
  file: string,
  record: number,
  height: number,
  width: number
): Promise<Uint8Array> => {
  const left = Math.max(0, Math.min(img.width - 1, Math.floor(box.left)))
  const top = Math.max(0, Math.min(img.height - 1, Math.floor(box.top)))
  const right = Math.max(left + 1, Math.min(img.width, Math.ceil(box.left + box.width)))
  const bottom = Math.max(top + 1, Math.min(img.height, Math.ceil(box.top + box.height)))
  try {
    const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(width, height, { fit: "cover", position: "centre" })
      .raw()
      .toBuffer()
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  } catch (cause) {
    throw new ImageDecodeError({ file, record, cause })
  }
}

/** The stored size of an image, from its header. */
export const imageSize = async (file: string, record: number): Promise<{ width: number; height: number }> => {
  try {
    const m = await sharp(file).metadata()
    if (!m.width || !m.height) throw new Error("no size in header")
    return { width: m.width, height: m.height }
  } catch (cause) {
    throw new ImageDecodeError({ file, record, cause })
  }
}

/** Runs `f` over `items` with at most `limit` in flight, keeping order. */
export const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A, k: number) => Promise<B>): Promise<Array<B>> => {
  const out = new Array<B>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const k = next++
      out[k] = await f(items[k]!, k)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** Compares names with digit runs as numbers ("img2" < "img10"), then code units: deterministic, locale-free. */
export const naturalCompare = (a: string, b: string): number => {
  const re = /(\d+)|(\D+)/g
  const pa = a.match(re) ?? []
  const pb = b.match(re) ?? []
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!
    const y = pb[k]!
    const nx = /^\d/.test(x)
    const ny = /^\d/.test(y)
    if (nx && ny) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
      if (x.length !== y.length) return x.length - y.length
    } else if (x !== y) return x < y ? -1 : 1
  }
  if (pa.length !== pb.length) return pa.length - pb.length
  return a < b ? -1 : a > b ? 1 : 0
}
