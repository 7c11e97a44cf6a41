import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { finetune } from "../../src/methods/finetune.js"
import { ft } from "../../src/methods/method.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { quickOptions, tinyClip, toySession } from "./helpers.js"

const twoSessions = async (method: typeof ft) => {
  const model = tinyClip(5)
  const s0 = toySession(0, [0, 1], 2, 8, 11)
  const s1 = toySession(1, [2, 3], 4, 8, 12)
  const options = { ...quickOptions(), part: { encoder: "all" as const } }
  const r0 = await finetune(model, s0.session, method, options)
  const r1 = await finetune(model, s1.session, method, options)
  s0.images.dispose()
  s1.images.dispose()
  model.dispose()
  return [r0, r1]
}

for (const [name, method] of [["FT", ft], ["VR-LwF", vrlwf({ count: 10 })]] as const) {
  test(`${name}: two sessions on a tiny CLIP, losses finite and CE decreasing`, async () => {
    const before = tf.memory().numTensors
    const results = await twoSessions(method)
    for (const r of results) {
      assert.equal(r.steps, 8)
      for (const e of r.epochs) for (const v of Object.values(e)) assert.ok(Number.isFinite(v))
      const first = r.epochs[0]
      const last = r.epochs[r.epochs.length - 1]
      assert.ok(last.ce < first.ce, `CE ${first.ce} -> ${last.ce}`)
      if (name === "VR-LwF") assert.ok("vr" in last)
    }
    assert.ok("lwf" in results[1].epochs[0] === (name === "VR-LwF"))
    assert.ok(!("lwf" in results[0].epochs[0]))
    assert.equal(tf.memory().numTensors, before)
  })
}

test("VR-LwF keeps the teacher's distribution over unseen vocabulary closer than FT does", async () => {
  const { klDivergence } = await import("../../src/methods/distill.js")
  const { similarityLogits } = await import("../../src/methods/similarity.js")
  const { drawPseudoClasses } = await import("../../src/methods/vocabulary.js")
  const { makeRng } = await import("../../src/random.js")
  const s = toySession(0, [0, 1, 2], 3, 6, 31)
  const heldOut = drawPseudoClasses(makeRng(999), { count: 30, length: 4, contextLength: 12 })
  const drift = async (method: typeof ft) => {
    const teacher = tinyClip(12)
    const model = teacher.clone()
    await finetune(model, s.session, method, { ...quickOptions({ epochs: 3, batchSize: 6 }), part: { encoder: "all" } })
    const kl = tf.tidy(() => {
      const images = s.session.images.batch(Array.from({ length: 18 }, (_, i) => i))
      const t = similarityLogits(teacher.encodeImage(images), teacher.encodeText(heldOut), teacher.logitScaleTensor())
      const st = similarityLogits(model.encodeImage(images), model.encodeText(heldOut), model.logitScaleTensor())
      return klDivergence(t, st).dataSync()[0]
    })
    teacher.dispose()
    model.dispose()
    return kl
  }
  const ftDrift = await drift(ft)
  const vrDrift = await drift(vrlwf({ count: 30, length: 4 }))
  s.images.dispose()
  assert.ok(vrDrift < ftDrift, `KL on held-out vocabulary: VR-LwF ${vrDrift} vs FT ${ftDrift}`)
})

test("a session is deterministic given the seed", async () => {
  const s = toySession(0, [0, 1], 2, 4, 41)
  const run = async (seed: number) => {
    const model = tinyClip(3)
    await finetune(model, s.session, vrlwf({ count: 5 }), { ...quickOptions({ epochs: 1, batchSize: 4, seed }), part: { encoder: "all" } })
    const w = Array.from(model.params.get("visual_projection.weight")!.dataSync())
    model.dispose()
    return w
  }
  const a = await run(1)
  assert.deepEqual(await run(1), a)
  assert.notDeepEqual(await run(2), a)
  s.images.dispose()
})

test("training to a plateau scores held-out images after each epoch and stops once they stop improving", async () => {
  const { promptAccuracy } = await import("../../src/methods/validation.js")
  const { similarityLogits } = await import("../../src/methods/similarity.js")
  const model = tinyClip(21)
  const fit = toySession(0, [0, 1, 2], 3, 6, 41)
  const held = toySession(0, [0, 1, 2], 3, 4, 42)
  // promptAccuracy is the argmax of the image-to-prompt logits against the labels
  const expected = tf.tidy(() => {
    const logits = similarityLogits(model.encodeImage(held.images), model.encodeText(held.session.classTokens.map((r) => r.slice())), model.logitScaleTensor())
    const pred = tf.argMax(logits, 1).dataSync()
    return held.session.labels.filter((y, i) => pred[i] === y).length / held.session.labels.length
  })
  assert.equal(promptAccuracy(model, held.session.images, held.session.labels, held.session.classTokens, 5), expected)
  const before = tf.memory().numTensors
  const session = { ...fit.session, validation: { images: held.session.images, labels: held.session.labels } }
  const r = await finetune(model, session, ft, { ...quickOptions({ epochs: 12, learningRate: 1e-2, batchSize: 6, patience: 2 }), part: { encoder: "all" } })
  assert.equal(r.scores.length, r.epochs.length)
  assert.ok(r.scores.every((s) => s >= 0 && s <= 1))
  // stopped exactly when the rule says so, or ran to the maximum without plateauing
  const { plateaued } = await import("../../src/methods/train.js")
  assert.equal(r.plateaued, plateaued(r.scores, 2))
  if (r.plateaued) assert.ok(r.epochs.length < 12 && !plateaued(r.scores.slice(0, -1), 2))
  else assert.equal(r.epochs.length, 12)
  assert.equal(tf.memory().numTensors, before)
  fit.images.dispose()
  held.images.dispose()
  model.dispose()
})
