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
  // Each epoch's score is the held-out accuracy of the model as that epoch left it.
  const seen: Array<number> = []
  const onEpoch = (_: number, score: number | undefined) => void seen.push(score === promptAccuracy(model, held.session.images, held.session.labels, held.session.classTokens) ? 1 : 0)
  const r = await finetune(model, session, ft, { ...quickOptions({ epochs: 12, learningRate: 1e-2, batchSize: 6, patience: 2 }), part: { encoder: "all" } }, { onEpoch })
  assert.equal(r.scores.length, r.epochs.length)
  assert.deepEqual(seen, r.scores.map(() => 1))
  assert.ok(r.scores.every((s) => s >= 0 && s <= 1))
  // Stopped early only if the last 2 epochs did not beat the best before them.
  if (r.plateaued) {
    const n = r.scores.length
    assert.ok(n < 12 && n >= 3)
    assert.ok(r.scores[n - 1]! <= Math.max(...r.scores.slice(0, n - 2)) && r.scores[n - 2]! <= Math.max(...r.scores.slice(0, n - 2)))
  } else assert.equal(r.epochs.length, 12)
  assert.equal(tf.memory().numTensors, before)
  fit.images.dispose()
  held.images.dispose()
  model.dispose()
})

// The plateau rule on scripted score sequences (a hook's `score` is used when the session has no
// held-out images), each stopping epoch worked out by hand: training stops after the first epoch
// whose last `patience` scores all stay within `minDelta` of the best score before them.
const cases: ReadonlyArray<{ readonly name: string; readonly scores: ReadonlyArray<number>; readonly patience: number; readonly minDelta?: number; readonly epochs: number; readonly plateaued: boolean }> = [
  // epoch 3: 0.6, 0.6 beat 0.5; epoch 4: 0.6, 0.55 do not beat 0.6 -> stop after 4
  { name: "a dip after a tie", scores: [0.5, 0.6, 0.6, 0.55, 0.9, 0.9], patience: 2, epochs: 4, plateaued: true },
  // epochs 4 and 5: 0.61 beats 0.6; epoch 6: 0.605, 0.61 do not beat 0.61 -> stop after 6
  { name: "a small gain counts without minDelta", scores: [0.5, 0.6, 0.6, 0.61, 0.605, 0.61, 0.9], patience: 2, epochs: 6, plateaued: true },
  // epoch 4: 0.6, 0.61 stay within 0.6 + 0.02 -> stop after 4
  { name: "a gain within minDelta does not", scores: [0.5, 0.6, 0.6, 0.61, 0.605, 0.61, 0.9], patience: 2, minDelta: 0.02, epochs: 4, plateaued: true },
  // epoch 3: only 3 scores, not more than patience; epoch 4: 0.5, 0.6, 0.7 <= 0.9 -> stop after 4
  { name: "the best came first", scores: [0.9, 0.5, 0.6, 0.7, 0.95], patience: 3, epochs: 4, plateaued: true },
  // every epoch improves: runs to the maximum of 5
  { name: "steady gains run to the maximum", scores: [0.1, 0.2, 0.3, 0.4, 0.5], patience: 1, epochs: 5, plateaued: false }
]

for (const c of cases) {
  test(`training to a plateau: ${c.name}`, async () => {
    const model = tinyClip(22)
    const fit = toySession(0, [0, 1], 2, 4, 43)
    let epoch = 0
    const score = () => c.scores[epoch++]!
    const max = c.plateaued ? c.scores.length : c.epochs
    const options = { ...quickOptions({ epochs: max, batchSize: 8, patience: c.patience, ...(c.minDelta === undefined ? {} : { minDelta: c.minDelta }) }), part: { encoder: "all" as const } }
    const r = await finetune(model, fit.session, ft, options, { score })
    assert.equal(r.epochs.length, c.epochs)
    assert.equal(r.plateaued, c.plateaued)
    assert.deepEqual(r.scores, c.scores.slice(0, c.epochs))
    fit.images.dispose()
    model.dispose()
  })
}
