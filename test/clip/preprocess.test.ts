// Preprocessing against Hugging Face's CLIPImageProcessor output, and the raw
// pixel path for IDX / CIFAR data.
import { test } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import sharp from "sharp"
import { ImageDecodeError, ClipInputError } from "../../src/clip/errors.js"
import {
  bicubicWeights, CLIP_MEAN, CLIP_STD, decodeImage, loadImages, preprocessImage, preprocessPixels, preprocessRaw, resizeBicubic, shortSideGeometry
} from "../../src/clip/preprocess.js"
import { readJson, tinyDir } from "./helpers.js"

test("matches CLIPImageProcessor (shortest_edge 32, crop 32) within one 8-bit level", async () => {
  const ref = readJson(join(tinyDir, "preprocess_reference.json"))
  const size: number = ref.size
  const path = join(tinyDir, "preprocess_input.png")
  const fromPath = await preprocessImage(path, size)
  const fromBytes = await preprocessImage(new Uint8Array(readFileSync(path)), size)
  assert.deepEqual(fromBytes, fromPath)
  const r = ref.pixel_values[0] as number[][][] // CHW
  let max = 0
  let sum = 0
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = Math.abs(fromPath[(y * size + x) * 3 + c]! - r[c]![y]![x]!)
        max = Math.max(max, d)
        sum += d
      }
    }
  }
  // One 8-bit level is 1 / 255 / std ~ 0.0146 after normalisation.
  assert.ok(max < 0.03, `max |diff| ${max}`)
  assert.ok(sum / (3 * size * size) < 0.002, `mean |diff| ${sum / (3 * size * size)}`)
  const batch = await loadImages([path, path], size)
  assert.deepEqual(batch.shape, [2, size, size, 3])
  batch.dispose()
})

test("geometry: short side to size (long side truncated), centred crop", () => {
  assert.deepEqual(shortSideGeometry(52, 80, 32), { outWidth: 32, outHeight: 49, left: 0, top: 8 })
  assert.deepEqual(shortSideGeometry(300, 200, 224), { outWidth: 336, outHeight: 224, left: 56, top: 0 })
  assert.deepEqual(shortSideGeometry(28, 28, 32), { outWidth: 32, outHeight: 32, left: 0, top: 0 })
})

test("bicubic weights sum to one; resizing to the same size is the identity; a flat image stays flat", () => {
  for (const [i, o] of [[80, 32], [28, 224], [7, 5]] as const) {
    const { weights, taps } = bicubicWeights(i, o)
    for (let k = 0; k < o; k++) {
      const s = weights.slice(k * taps, (k + 1) * taps).reduce((a, b) => a + b, 0)
      assert.ok(Math.abs(s - 1) < 1e-12)
    }
  }
  const data = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256)
  assert.deepEqual(resizeBicubic({ data, width: 5, height: 4, channels: 3 }, 5, 4).data, data)
  const flat = resizeBicubic({ data: new Uint8Array(10 * 6).fill(77), width: 10, height: 6, channels: 1 }, 23, 13)
  assert.ok(flat.data.every((v) => v === 77))
})

test("raw pixels: grey is replicated to RGB, values normalised with CLIP's mean and std", () => {
  const grey = new Uint8Array(4 * 4).fill(255)
  const out = preprocessRaw({ data: grey, width: 4, height: 4, channels: 1 }, 4)
  for (let ch = 0; ch < 3; ch++) assert.ok(Math.abs(out[ch]! - (1 - CLIP_MEAN[ch]!) / CLIP_STD[ch]!) < 1e-6)
  // Two IDX-like 6x6 digits up-sampled to 8x8.
  const idx = Uint8Array.from({ length: 2 * 36 }, (_, i) => (i < 36 ? 0 : 200))
  const batch = preprocessPixels(idx, { count: 2, height: 6, width: 6, channels: 1 }, 8)
  assert.deepEqual(batch.shape, [2, 8, 8, 3])
  const v = batch.arraySync()
  assert.ok(Math.abs(v[0]![3]![3]![0]! - (0 - CLIP_MEAN[0]) / CLIP_STD[0]) < 1e-6)
  assert.ok(Math.abs(v[1]![3]![3]![2]! - (200 / 255 - CLIP_MEAN[2]) / CLIP_STD[2]) < 1e-6)
  batch.dispose()
  assert.throws(() => preprocessPixels(idx, { count: 3, height: 6, width: 6, channels: 1 }, 8), ClipInputError)
})

test("file and raw paths agree; bad bytes give an ImageDecodeError", async () => {
  const rgb = Uint8Array.from({ length: 20 * 12 * 3 }, (_, i) => (i * 13 + (i % 7) * 31) % 256)
  const png = await sharp(Buffer.from(rgb), { raw: { width: 20, height: 12, channels: 3 } }).png().toBuffer()
  const decoded = await decodeImage(new Uint8Array(png))
  assert.deepEqual(decoded.data, rgb)
  assert.deepEqual(await preprocessImage(new Uint8Array(png), 10), preprocessRaw({ data: rgb, width: 20, height: 12, channels: 3 }, 10))
  // A grey PNG with alpha decodes to RGB.
  const ga = await sharp(Buffer.from(new Uint8Array(4 * 4 * 2).fill(90)), { raw: { width: 4, height: 4, channels: 2 } }).png().toBuffer()
  const g = await decodeImage(new Uint8Array(ga))
  assert.equal(g.channels, 3)
  assert.ok(g.data.every((v) => v === 90))
  await assert.rejects(decodeImage(new Uint8Array([1, 2, 3, 4])), (e: unknown) => e instanceof ImageDecodeError && e.file === "<bytes>")
  await assert.rejects(preprocessImage("no/such/file.png", 8), (e: unknown) => e instanceof ImageDecodeError && e.file === "no/such/file.png")
})
