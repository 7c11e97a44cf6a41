// Training smoke test: the forward passes are differentiable end to end,
// Adam lowers CLIP's contrastive loss, and a TunePart confines the updates.
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
// tfjs-core's Node build registers no gradients; the project's gradient pack does (see docs/clip.md).
import { customConfig } from "../../src/clip/config.js"
import { createClip, type ClipModel, type TunePart } from "../../src/clip/model.js"
import { logitsPerImage } from "../../src/clip/similarity.js"

const config = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 32, visionHeads: 2, visionLayers: 2, textWidth: 32, textHeads: 2, textLayers: 2, embedDim: 16, vocabSize: 40, contextLength: 8, activation: "gelu" })
const n = 6
const pixels = tf.randomNormal([n, 16, 16, 3], 0, 1, "float32", 11) as tf.Tensor4D
// Distinct captions ending with the end token (the largest id, 39).
const ids = Array.from({ length: n }, (_, i) => [38, 1 + i, 10 + ((i * 7) % 20), 39, 0, 0, 0, 0])
const labels = tf.range(0, n, 1, "int32")

/** CLIP's symmetric InfoNCE over the batch. */
const contrastiveLoss = (model: ClipModel): tf.Scalar => {
  const logits = logitsPerImage(model.encodeImage(pixels), model.encodeText(ids), model.logitScaleTensor())
  const onehot = tf.oneHot(labels, n)
  const ce = (l: tf.Tensor2D) => tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(l)), 1)))
  return tf.div(tf.add(ce(logits), ce(tf.transpose(logits))), 2) as tf.Scalar
}

const snapshot = (m: ClipModel) => new Map([...m.params].map(([k, v]) => [k, Float32Array.from(v.dataSync())]))
const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
  new Set([...a].filter(([k, v]) => v.some((x, i) => x !== b.get(k)![i])).map(([k]) => k))

test("gradients reach every tower's parameters", () => {
  const model = createClip(config, 1)
  const { grads, value } = tf.variableGrads(() => contrastiveLoss(model), model.trainableVariables({ encoder: "all" }))
  assert.ok(Number.isFinite(value.dataSync()[0]!))
  const byName = new Map([...model.params].map(([k, v]) => [k, grads[v.name]!]))
  for (const name of [
    "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
    "vision_model.encoder.layers.0.self_attn.q_proj.weight", "vision_model.encoder.layers.1.mlp.fc2.bias",
    "visual_projection.weight", "text_model.embeddings.token_embedding.weight",
    "text_model.encoder.layers.0.self_attn.k_proj.weight", "text_projection.weight", "logit_scale"
  ]) {
    const g = byName.get(name)!
    assert.ok(g !== undefined, `no gradient for ${name}`)
    const norm = tf.norm(g).dataSync()[0]!
    assert.ok(norm > 0 && Number.isFinite(norm), `gradient of ${name} has norm ${norm}`)
  }
  // Token rows never used get no gradient (scatter-add, not a dense update).
  const tokenGrad = byName.get("text_model.embeddings.token_embedding.weight")!.arraySync() as number[][]
  assert.ok(tokenGrad[30]!.every((v) => v === 0))
  model.dispose()
})

test("a few Adam steps lower the contrastive loss", () => {
  const model = createClip(config, 2)
  const opt = tf.train.adam(2e-3)
  const losses: number[] = []
  for (let step = 0; step < 8; step++) {
    const loss = opt.minimize(() => contrastiveLoss(model), true, model.trainableVariables({ encoder: "all" }))!
    losses.push(loss.dataSync()[0]!)
    loss.dispose()
  }
  assert.ok(losses[7]! < losses[0]! * 0.9, `loss went ${losses.map((l) => l.toFixed(3)).join(" -> ")}`)
  opt.dispose()
  model.dispose()
})

test("a TunePart confines the updates to its parameters", () => {
  const parts: Array<[TunePart, (name: string) => boolean]> = [
    [{ encoder: "image" }, (k) => k.startsWith("vision_model.") || k === "visual_projection.weight"],
    [{ encoder: "text" }, (k) => k.startsWith("text_model.") || k === "text_projection.weight"],
    [{ encoder: "text", topBlocks: 1 }, (k) => k.startsWith("text_model.encoder.layers.1.") || k.startsWith("text_model.final_layer_norm") || k === "text_projection.weight"]
  ]
  for (const [part, inPart] of parts) {
    const model = createClip(config, 3)
    const before = snapshot(model)
    const opt = tf.train.adam(1e-2)
    opt.minimize(() => contrastiveLoss(model), true, model.trainableVariables(part))?.dispose()
    const moved = changed(before, snapshot(model))
    const expected = new Set([...model.params.keys()].filter(inPart))
    // Every parameter of the part moves (Adam's first step is +-lr wherever the gradient is non-zero) ...
    for (const k of expected) {
      if (k.includes("token_embedding") || k.includes("text_model.embeddings.position_embedding")) continue // rows unused by the batch stay
      assert.ok(moved.has(k), `${JSON.stringify(part)}: ${k} did not move`)
    }
    // ... and nothing outside it.
    for (const k of moved) assert.ok(expected.has(k), `${JSON.stringify(part)}: ${k} moved but is not in the part`)
    opt.dispose()
    model.dispose()
  }
})
