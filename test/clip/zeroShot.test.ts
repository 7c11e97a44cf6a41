// Zero-shot heads: prompt ensembling, classification and top-k accuracy.
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { customConfig } from "../../src/clip/config.js"
import { ClipInputError } from "../../src/clip/errors.js"
import { createClip } from "../../src/clip/model.js"
import { l2Normalize } from "../../src/clip/similarity.js"
import { tokenize } from "../../src/clip/tokenizer.js"
import { fillTemplate, loadPrompts } from "../../src/clip/prompts.js"
import { classify, zeroShotClassifier } from "../../src/clip/zeroShot.js"
import { assertClose } from "./helpers.js"

const small = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 32, visionHeads: 2, visionLayers: 1, textWidth: 32, textHeads: 2, textLayers: 1, embedDim: 8, vocabSize: 64, contextLength: 10 })
/** A toy tokenizer for a 64-id vocabulary: one id per character, end token 63. */
const toyTokenize = (texts: string[]): number[][] =>
  texts.map((t) => {
    const ids = [62, ...[...t].slice(0, 7).map((ch) => 1 + (ch.charCodeAt(0) % 60)), 63]
    return [...ids, ...new Array(10 - ids.length).fill(0)]
  })

test("templates and the shipped prompt sets", () => {
  assert.equal(fillTemplate("a photo of a {}.", "cat"), "a photo of a cat.")
  assert.equal(fillTemplate("{} and {}", "x"), "x and x")
  const prompts = loadPrompts()
  assert.equal(Object.keys(prompts).length, 27)
  assert.deepEqual(prompts.CIFAR10!.classes.slice(0, 3), ["airplane", "automobile", "bird"])
  assert.equal(prompts.CIFAR10!.templates.length, 18)
  assert.equal(prompts.ImageNet!.classes.length, 1000)
})

test("zeroShotClassifier: renormalised mean of normalised prompt embeddings", () => {
  const model = createClip(small, 21)
  const classes = ["cat", "dog", "emu"]
  const templates = ["a {}.", "the {}!", "{} pic"]
  const head = zeroShotClassifier(model, classes, templates, { tokenize: toyTokenize, batchSize: 4 })
  assert.deepEqual(head.shape, [3, 8])
  const expected = tf.tidy(() =>
    classes.map((c) => {
      const e = l2Normalize(model.encodeText(toyTokenize(templates.map((t) => fillTemplate(t, c)))))
      return l2Normalize(tf.reshape(tf.mean(e, 0), [1, 8]) as tf.Tensor2D).arraySync()[0]!
    })
  )
  assertClose(head.arraySync(), expected, 1e-5, "classifier")
  const norms = tf.tidy(() => tf.norm(head, "euclidean", 1).arraySync() as number[])
  norms.forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5))
  assert.throws(() => zeroShotClassifier(model, [], templates, { tokenize: toyTokenize }), ClipInputError)
  head.dispose()
  model.dispose()
})

test("zeroShotClassifier uses CLIP's tokenizer by default", () => {
  const model = createClip(customConfig({ ...small, vocabSize: 49408, contextLength: 77 }), 22)
  const templates = ["a photo of a {}.", "a blurry photo of a {}."]
  const viaDefault = zeroShotClassifier(model, ["cat", "dog"], templates)
  const viaExplicit = zeroShotClassifier(model, ["cat", "dog"], templates, { tokenize: (t) => tokenize(t) })
  assertClose(viaDefault.arraySync(), viaExplicit.arraySync(), 1e-6, "default tokenizer")
  tf.dispose([viaDefault, viaExplicit])
  model.dispose()
})

test("classify: images classified against their own embeddings", () => {
  const model = createClip(small, 23)
  const pixels = tf.randomNormal([6, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D
  const head = tf.tidy(() => l2Normalize(model.encodeImage(pixels)))
  const { logits, predictions } = classify(model, head, pixels, { batchSize: 4 })
  assert.deepEqual([...predictions], [0, 1, 2, 3, 4, 5])
  const l = logits.arraySync()
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(l[i]![i]! - model.logitScale) < 1e-3)
  tf.dispose([logits, head, pixels])
  model.dispose()
})

