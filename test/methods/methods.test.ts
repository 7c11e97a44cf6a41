/**
 * Every method runs a short session on a tiny CLIP: its extra loss terms are
 * finite, it cleans up after itself, and the model changes the way the
 * method says (RKR's low-rank update, ZSCL's averaged weights).
 */
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { agem } from "../../src/methods/agem.js"
import { imagesFromTensor } from "../../src/methods/data.js"
import { finetune } from "../../src/methods/finetune.js"
import { gem } from "../../src/methods/gem.js"
import { geodl } from "../../src/methods/geodl.js"
import { icarl, selectExemplars } from "../../src/methods/icarl.js"
import { lwf } from "../../src/methods/lwf.js"
import { lwfVrZscl } from "../../src/methods/lwfvrZscl.js"
import type { Method } from "../../src/methods/method.js"
import { pretrain } from "../../src/methods/pretrain.js"
import { subsetSource, type ReplayMemory } from "../../src/methods/replay.js"
import { rkr } from "../../src/methods/rkr.js"
import { embedVocabulary } from "../../src/methods/vocabulary.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { zscl } from "../../src/methods/zscl.js"
import { classPrompt, quickOptions, tinyClip, toySession, values } from "./helpers.js"

const old = toySession(0, [0, 1], 2, 4, 21)
const cur = toySession(1, [2, 3], 4, 4, 22)
const memory: ReplayMemory = { images: subsetSource(old.session.images, [0, 1, 4, 5]), labels: [0, 0, 1, 1], sessions: [0, 0, 0, 0] }
const options = (over = {}) => ({ ...quickOptions({ epochs: 1, batchSize: 4 }), part: { encoder: "all" as const }, ...over })

const runs: Array<[string, () => Method, string[]]> = [
  ["LwF", () => lwf(), ["lwf"]],
  ["VR-LwF with a pool", () => vrlwf({ count: 5, vocabulary: { kind: "pool", ids: Array.from({ length: 9 }, (_, c) => classPrompt(c + 10)) } }), ["vr", "lwf"]],
  ["LwF-VR (ZSCL)", () => lwfVrZscl({ sequences: 20, textsPerStep: 6 }), ["distill"]],
  ["ZSCL", () => zscl({ reference: { images: old.session.images, texts: [classPrompt(7), classPrompt(8), classPrompt(9)] }, imagesPerStep: 3, averageEvery: 1 }), ["zscl"]],
  ["A-GEM", () => agem({ memory, memoryBatch: 2 }), []],
  ["GEM", () => gem({ memory: { ...memory, sessions: [0, 0, 1, 1] }, memoryBatch: 2 }), []],
  ["iCaRL", () => icarl({ memory, memoryBatch: 2 }), ["replay", "distill"]],
  ["GeoDL", () => geodl({ rank: 2 }), ["geodl"]],
  ["RKR", () => rkr({ rank: 1 }), []],
]

for (const [name, make, terms] of runs) {
  test(`${name}: a session runs with finite terms and releases its tensors`, async () => {
    const model = tinyClip(9)
    const start = model.getWeights()
    const before = tf.memory().numTensors
    const r = await finetune(model, cur.session, make(), options())
    assert.equal(tf.memory().numTensors, before)
    assert.equal(r.steps, 2)
    for (const t of ["ce", ...terms]) assert.ok(Number.isFinite(r.epochs[0][t]), `${t}: ${JSON.stringify(r.epochs[0])}`)
    const changed = [...model.params].filter(([n, v]) => tf.tidy(() => tf.max(tf.abs(tf.sub(v, start.get(n)!))).dataSync()[0]) > 0).map(([n]) => n)
    assert.ok(changed.length > 0)
    if (name === "RKR") {
      // embeddings frozen; a rectified matrix moved by (W0 + A B) * s - W0
      assert.ok(!changed.some((n) => n.includes("embedding")), changed.join(","))
      assert.ok(changed.includes("visual_projection.weight"))
    }
    start.forEach((t) => t.dispose())
    model.dispose()
  })
}

test("frozen text tower: FT with the image encoder only leaves text weights untouched", async () => {
  const model = tinyClip(4)
  const text = model.params.get("text_projection.weight")!
  const before = values(text)
  const r = await finetune(model, cur.session, vrlwf({ count: 4 }), options({ part: { encoder: "image" } }))
  assert.ok(Number.isFinite(r.epochs[0].vr))
  assert.deepEqual(values(text), before)
  model.dispose()
})

test("top-k blocks: only the chosen blocks and heads move", async () => {
  const model = tinyClip(4)
  const start = model.getWeights()
  await finetune(model, cur.session, lwf(), options({ part: { encoder: "text", topBlocks: 1 } }))
  const changed = [...model.params].filter(([n, v]) => tf.tidy(() => tf.max(tf.abs(tf.sub(v, start.get(n)!))).dataSync()[0]) > 0).map(([n]) => n)
  assert.ok(changed.length > 0 && changed.every((n) => n.startsWith("text_model.encoder") || n.startsWith("text_model.final") || n === "text_projection.weight"), changed.join(","))
  start.forEach((t) => t.dispose())
  model.dispose()
})

test("iCaRL exemplar selection returns per-class indices from the session", () => {
  const model = tinyClip(3)
  const picked = selectExemplars(model, old.session.images, old.session.labels, 2, 3)
  assert.equal(picked.length, 4)
  assert.deepEqual(picked.map((i) => old.session.labels[i]), [0, 0, 1, 1])
  model.dispose()
})

test("pretrain: InfoNCE falls on paired toy data and the logit scale stays <= 100", async () => {
  const model = tinyClip(6)
  const texts = old.session.labels.map((y) => classPrompt(y))
  const r = await pretrain(model, { images: old.session.images, texts }, { ...quickOptions({ epochs: 6, batchSize: 8, learningRate: 3e-3 }) })
  assert.ok(r.epochs[5].loss < r.epochs[0].loss, JSON.stringify(r.epochs.map((e) => e.loss)))
  assert.ok(r.epochs.every((e) => e.scale <= 100 + 1e-3))
  model.dispose()
})

test("logit scale is clamped at 100 after a step", async () => {
  const model = tinyClip(6)
  model.params.get("logit_scale")!.assign(tf.scalar(Math.log(150)))
  await finetune(model, cur.session, lwf(), options({ maxSteps: 1 }))
  assert.ok(Math.exp(values(model.params.get("logit_scale")!)[0]) <= 100.0001)
  model.dispose()
})

test("embedVocabulary output can be passed as the teacher's pool features", async () => {
  const model = tinyClip(8)
  const ids = Array.from({ length: 5 }, (_, c) => classPrompt(c + 20))
  const feats = embedVocabulary(model, ids)
  const r = await finetune(model, cur.session, vrlwf({ count: 3, vocabulary: { kind: "pool", ids, teacherFeatures: feats } }), options({ part: { encoder: "image" } }))
  assert.ok(Number.isFinite(r.epochs[0].vr))
  assert.ok(!feats.isDisposed)
  feats.dispose()
  model.dispose()
})

void imagesFromTensor
