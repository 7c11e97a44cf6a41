/**
 * Image decoding, in one place for CLIP preprocessing and the data readers:
 * sharp (libvips) reads JPEG, PNG, WebP, TIFF, ... and gives 8-bit sRGB,
 * alpha dropped, HWC. No EXIF rotation: boxes index stored pixels.
 *
 * `decodeImage` gives an image at its stored size (CLIP then resizes with
 * its own Pillow-exact bicubic). The data readers also resize in libvips
 * with `fit: "cover"` (scale the shorter side to the target, centre-crop the
 * longer: the geometry of CLIP's resize + centre-crop), whole or from a box.
 * Every failure is an `ImageDecodeError` naming the file (and record).
 *
 * @since 0.1.0
 */
import sharp from "sharp"
import { ImageDecodeError } from "./ImageDecodeError.js"

/**
 * 8-bit pixels, row-major HWC.
 *
 * @since 0.1.0
 * @category models
 */
export interface RawImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly channels: 1 | 3
}

/**
 * A rectangle in pixels of the stored image.
 *
 * @since 0.1.0
 * @category models
 */
export interface Box {
  readonly left: number
  readonly top: number
  readonly width: number
  readonly height: number
}

const failed = (file: string, record: number | undefined, cause: unknown): ImageDecodeError =>
  new ImageDecodeError({
    file,
    ...(record === undefined ? {} : { record }),
    reason: cause instanceof Error ? cause.message : String(cause),
    cause
  })

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

/**
 * Decodes an image (path or bytes) to 8-bit RGB at its stored size.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeImage = async (input: string | Uint8Array, record?: number): Promise<RawImage & { readonly channels: 3 }> => {
  const file = typeof input === "string" ? input : "<bytes>"
  try {
    const { data, info } = await sharp(input).removeAlpha().toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true })
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`)
    return { data: view(data), width: info.width, height: info.height, channels: 3 }
  } catch (cause) {
    throw failed(file, record, cause)
  }
}

/**
 * Decodes `file` and resizes it (cover) to `height x width` RGB.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeResized = async (file: string, record: number, height: number, width: number): Promise<Uint8Array> => {
  try {
    const data = await sharp(file)
      .removeAlpha()
      .toColourspace("srgb")
      .resize(width, height, { fit: "cover", position: "centre" })
      .raw()
      .toBuffer()
    if (data.length !== height * width * 3) throw new Error(`decoded to ${data.length} bytes`)
    return view(data)
  } catch (cause) {
    throw failed(file, record, cause)
  }
}

/**
 * Cuts `box` (clamped to the image, whole pixels) from a decoded RGB image
 * and resizes it (cover) to `height x width`.
 *
 * @since 0.1.0
 * @category constructors
 */
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
    const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(width, height, { fit: "cover", position: "centre" })
      .raw()
      .toBuffer()
    return view(data)
  } catch (cause) {
    throw failed(file, record, cause)
  }
}

/**
 * The stored size of an image, from its header.
 *
 * @since 0.1.0
 * @category utils
 */
export const imageSize = async (file: string, record: number): Promise<{ width: number; height: number }> => {
  try {
    const m = await sharp(file).metadata()
    if (!m.width || !m.height) throw new Error("no size in header")
    return { width: m.width, height: m.height }
  } catch (cause) {
    throw failed(file, record, cause)
  }
}
