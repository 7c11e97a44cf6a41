// Batched inference: same numbers as one big forward pass, and memory that
// does not grow with the number of batches.
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { customConfig } from "../../src/clip/config.js"
import { embedImageBatches, embedImages, embedTexts } from "../../src/clip/embed.js"
import { ClipInputError } from "../../src/clip/errors.js"
import { createClip } from "../../src/clip/model.js"
import { l2Normalize } from "../../src/clip/similarity.js"
import { assertClose } from "./helpers.js"

const config = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 32, visionHeads: 2, visionLayers: 1, textWidth: 32, textHeads: 2, textLayers: 1, embedDim: 8, vocabSize: 30, contextLength: 6 })

test("embedImages / embedTexts equal the unbatched forward pass", () => {
  const model = createClip(config, 5)
  const pixels = tf.randomNormal([7, 16, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D
  const direct = tf.tidy(() => model.encodeImage(pixels).arraySync())
  const batched = embedImages(model, pixels, 3)
  assertClose(batched.arraySync(), direct, 1e-5, "images")
  const normed = embedImages(model, pixels, 4, { normalize: true })
  assertClose(normed.arraySync(), tf.tidy(() => l2Normalize(tf.tensor2d(direct)).arraySync()), 1e-5, "normalised images")
  const ids = Array.from({ length: 5 }, (_, i) => [1, 2 + i, 29, 0, 0, 0])
  assertClose(embedTexts(model, ids, 2).arraySync(), tf.tidy(() => model.encodeText(ids).arraySync()), 1e-5, "texts")
  assert.throws(() => embedImages(model, pixels, 0), ClipInputError)
  model.dispose()
})

test("embedding many batches does not grow the number of live tensors", () => {
  const model = createClip(config, 6)
  const pixels = tf.zeros([4, 16, 16, 3]) as tf.Tensor4D
  const warm = embedImages(model, pixels, 2)
  warm.dispose()
  const before = tf.memory().numTensors
  const calls: number[] = []
  const big = tf.zeros([120, 16, 16, 3]) as tf.Tensor4D // 60 batches of 2
  const out = embedImages(model, big, 2, { onBatch: (done) => calls.push(done) })
  big.dispose()
  assert.equal(calls.length, 60)
  assert.equal(calls.at(-1), 120)
  assert.deepEqual(out.shape, [120, 8])
  out.dispose()
  assert.equal(tf.memory().numTensors, before)
  model.dispose()
  pixels.dispose()
})

test("embedImageBatches consumes and disposes a stream of batches", async () => {
  const model = createClip(config, 7)
  const batches = [0, 1, 2].map((s) => tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", s) as tf.Tensor4D)
  const expected = tf.tidy(() => batches.flatMap((b) => model.encodeImage(b).arraySync()))
  const before = tf.memory().numTensors
  const out = await embedImageBatches(model, batches)
  assertClose(out.arraySync(), expected, 1e-5, "streamed")
  assert.ok(batches.every((b) => b.isDisposed))
  out.dispose()
  assert.equal(tf.memory().numTensors, before - 3)
  model.dispose()
})
