// One image decoder and one ImageDecodeError for CLIP and the data readers.
import { test } from "node:test"
import assert from "node:assert/strict"
import sharp from "sharp"
import { ImageDecodeError as ClipImageDecodeError } from "../../src/clip/errors.js"
import { decodeImage as clipDecodeImage } from "../../src/clip/preprocess.js"
import { ImageDecodeError as DataImageDecodeError, isDataError } from "../../src/data/errors.js"
import { decodeImage, decodeResized, imageSize } from "../../src/formats/image.js"
import { ImageDecodeError } from "../../src/formats/ImageDecodeError.js"

test("CLIP and the data readers share the decoder and the error", () => {
  assert.equal(clipDecodeImage, decodeImage)
  assert.equal(ClipImageDecodeError, ImageDecodeError)
  assert.equal(DataImageDecodeError, ImageDecodeError)
})

test("decodes RGBA bytes to RGB at the stored size", async () => {
  // 2 x 1: opaque red, half-transparent blue (alpha dropped, not blended).
  const png = await sharp(Buffer.from([255, 0, 0, 255, 0, 0, 255, 128]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer()
  const img = await decodeImage(new Uint8Array(png))
  assert.deepEqual({ width: img.width, height: img.height, channels: img.channels }, { width: 2, height: 1, channels: 3 })
  assert.deepEqual([...img.data], [255, 0, 0, 0, 0, 255])
})

test("a file that does not decode names the file and the record", async () => {
  await assert.rejects(decodeImage(new Uint8Array([1, 2, 3])), (e: unknown) => {
    assert.ok(e instanceof ImageDecodeError)
    assert.equal(e.file, "<bytes>")
    assert.equal(e.record, undefined)
    assert.match(e.message, /^<bytes>: image does not decode: /)
    return true
  })
  for (const p of [decodeImage("no/such.png", 4), decodeResized("no/such.png", 4, 8, 8), imageSize("no/such.png", 4)]) {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ImageDecodeError && isDataError(e))
      assert.equal(e.file, "no/such.png")
      assert.equal(e.record, 4)
      assert.match(e.message, /^no\/such\.png: image \(record 4\) does not decode: /)
      return true
    })
  }
})
