// Tiny data sets in the real formats, written by the tests themselves.
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import sharp from "sharp"
import type { ImageSet, LabeledImages } from "../../src/data/ImageSet.js"

export const tmpDir = (tag: string): string => fs.mkdtempSync(path.join(os.tmpdir(), `clipcl-data-${tag}-`))

export const idxBytes = (dims: ReadonlyArray<number>, data: Uint8Array): Buffer => {
  const head = Buffer.alloc(4 + 4 * dims.length)
  head[2] = 0x08
  head[3] = dims.length
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k))
  return Buffer.concat([head, Buffer.from(data)])
}

/** Image i has every pixel = (i * 7 + p) mod 256, so any record can be checked. */
export const pixel = (i: number, p: number) => (i * 7 + p) % 256

export const writeIdx = (dir: string, n: number, h: number, w: number, labels: ReadonlyArray<number>, gz: boolean) => {
  const img = new Uint8Array(n * h * w)
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) img[i * h * w + p] = pixel(i, p)
  const ext = gz ? ".gz" : ""
  const images = path.join(dir, `train-images-idx3-ubyte${ext}`)
  const lbls = path.join(dir, `train-labels-idx1-ubyte${ext}`)
  const enc = (b: Buffer) => (gz ? zlib.gzipSync(b) : b)
  fs.writeFileSync(images, enc(idxBytes([n, h, w], img)))
  fs.writeFileSync(lbls, enc(idxBytes([labels.length], Uint8Array.from(labels))))
  return { images, labels: lbls }
}

/** A CIFAR record: label byte(s), then R, G, B planes; pixel (c, p) = (i*11 + c*50 + p) mod 256. */
export const cifarRecord = (i: number, labels: ReadonlyArray<number>): Buffer => {
  const img = Buffer.alloc(3072)
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) img[c * 1024 + p] = (i * 11 + c * 50 + p) % 256
  return Buffer.concat([Buffer.from(labels), img])
}

export const solidPng = (file: string, rgb: readonly [number, number, number], w = 12, h = 10) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(file)

export const solidJpeg = (file: string, rgb: readonly [number, number, number], w = 12, h = 10) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 95 }).toFile(file)

/** Every record index a full walk yields, in order. */
export const walkAll = async (ds: LabeledImages, batch: number, opts?: { shuffle?: boolean; seed?: number; dropLast?: boolean }) => {
  const idx: Array<number> = []
  const labels: Array<number> = []
  for await (const b of ds.batches(batch, opts)) {
    assertBatch(ds, b.images, b.indices.length)
    idx.push(...b.indices)
    labels.push(...b.labels)
  }
  return { idx, labels }
}

const assertBatch = (ds: ImageSet, images: Uint8Array, n: number) => {
  if (images.length !== n * ds.height * ds.width * ds.channels) throw new Error(`batch of ${n} has ${images.length} bytes`)
}

/** Mean of channel c over an HWC image. */
export const channelMean = (img: Uint8Array, c: number, channels = 3) => {
  let s = 0
  for (let i = c; i < img.length; i += channels) s += img[i]!
  return s / (img.length / channels)
}
