// Teacher image features computed once (embedImages, as the distill stage does) train exactly as
// the teacher run at every step: same losses and weights to float tolerance, and the teacher's
// image encoder is not called during training.
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { imagesFromTensor } from "../../src/methods/data.js"
import { ShapeMismatchError } from "../../src/methods/errors.js"
import { finetune } from "../../src/methods/finetune.js"
import { geodl } from "../../src/methods/geodl.js"
import { icarl } from "../../src/methods/icarl.js"
import { lwf } from "../../src/methods/lwf.js"
import { lwfVrZscl } from "../../src/methods/lwfvrZscl.js"
import type { Method } from "../../src/methods/method.js"
import type { MethodModel } from "../../src/methods/model.js"
import { makeRng } from "../../src/random.js"
import { embedImages, type TeacherImageFeatures } from "../../src/methods/teacher.js"
import { drawPseudoClasses, embedVocabulary } from "../../src/methods/vocabulary.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { zscl } from "../../src/methods/zscl.js"
import { quickOptions, tinyClip, toySession } from "./helpers.js"

/** `model` with its image-encoder calls counted. */
const counting = (model: MethodModel): { model: MethodModel; calls: () => number; reset: () => void } => {
  let n = 0
  const proxy = new Proxy(model, {
    get(target, key) {
      if (key === "encodeImage") {
        return (x: tf.Tensor4D) => {
          n += 1
          return target.encodeImage(x)
        }
      }
      const v = Reflect.get(target, key, target)
      return typeof v === "function" ? v.bind(target) : v
    },
  })
  return { model: proxy, calls: () => n, reset: () => void (n = 0) }
}

const s0 = toySession(0, [0, 1], 4, 5, 21)
const s1 = toySession(1, [2, 3], 4, 6, 22)
const memory = { images: s0.session.images, labels: s0.session.labels, sessions: s0.session.labels.map(() => 0) }
const referenceTexts = drawPseudoClasses(makeRng(5), { count: 12, length: 4, contextLength: 12 })

/** Which image set the method's teacher reads, and which model that teacher is. */
type Where = "session" | "memory" | "reference"

interface Case {
  readonly name: string
  readonly where: Where
  readonly method: (features: TeacherImageFeatures | undefined, teacher: MethodModel) => { method: Method; dispose: () => void }
}

const plain = (m: Method) => ({ method: m, dispose: () => {} })

const cases: ReadonlyArray<Case> = [
  { name: "LwF", where: "session", method: () => plain(lwf()) },
  { name: "VR-LwF (redrawn vocabulary)", where: "session", method: () => plain(vrlwf({ count: 10 })) },
  {
    name: "VR-LwF (pool embedded once)",
    where: "session",
    method: (_, teacher) => {
      const ids = drawPseudoClasses(makeRng(9), { count: 20, length: 4, contextLength: 12 })
      const teacherFeatures = embedVocabulary(teacher, ids)
      return { method: vrlwf({ count: 6, vocabulary: { kind: "pool", ids, teacherFeatures } }), dispose: () => teacherFeatures.dispose() }
    },
  },
  { name: "LwF-VR (ZSCL)", where: "session", method: () => plain(lwfVrZscl({ sequences: 16, textsPerStep: 8 })) },
  { name: "GeoDL", where: "session", method: () => plain(geodl({ rank: 3 })) },
  { name: "iCaRL", where: "memory", method: (features) => plain(icarl({ memory, memoryBatch: 5, ...(features ? { teacherImages: features } : {}) })) },
  {
    name: "ZSCL",
    where: "reference",
    method: (features) => plain(zscl({ reference: { images: s0.session.images, texts: referenceTexts, ...(features ? { teacherImages: features } : {}) }, imagesPerStep: 5, textsPerStep: 6, averageEvery: 2 })),
  },
]

/** Train one session of `c` from fixed weights, with or without the teacher's features computed first. */
const session = async (c: Case, precompute: boolean) => {
  const start = tinyClip(5)
  const student = start.clone()
  // ZSCL's teacher is the initial model; the others' the model at session start.
  const teacher = counting(c.where === "reference" ? tinyClip(8) : start.clone())
  const images = c.where === "session" ? s1.session.images : s0.session.images
  const features = precompute ? await embedImages(teacher.model, images, { batchSize: 7 }) : undefined
  teacher.reset()
  const { method, dispose } = c.method(c.where === "session" ? undefined : features, teacher.model)
  const steps: Array<Record<string, number>> = []
  await finetune(student, s1.session, method, { ...quickOptions({ epochs: 1, batchSize: 4 }), part: { encoder: "all" } }, {
    previous: teacher.model,
    ...(c.where === "reference" ? { initial: teacher.model } : {}),
    ...(c.where === "session" && features ? { previousImages: features } : {}),
    onProgress: (p) => steps.push(p.metrics),
  })
  const calls = teacher.calls()
  const weights = [...student.getWeights()].map(([k, t]) => {
    const v = Array.from(t.dataSync())
    t.dispose()
    return [k, v] as const
  })
  dispose()
  features?.features.dispose()
  features?.scale.dispose()
  teacher.model.dispose()
  student.dispose()
  start.dispose()
  return { steps, weights, calls }
}

for (const c of cases) {
  test(`${c.name}: the teacher's image features computed once train as the teacher run at every step`, async () => {
    const before = tf.memory().numTensors
    const perStep = await session(c, false)
    const once = await session(c, true)
    assert.equal(tf.memory().numTensors, before, "no tensor left behind")
    assert.ok(perStep.calls >= perStep.steps.length, `the teacher encodes images at every step today (${perStep.calls} calls)`)
    assert.equal(once.calls, 0, "with features given, the teacher's image encoder never runs during training")
    assert.equal(once.steps.length, perStep.steps.length)
    assert.equal(once.steps.length, 3)
    once.steps.forEach((m, i) => {
      assert.deepEqual(Object.keys(m).sort(), Object.keys(perStep.steps[i]!).sort())
      for (const [k, v] of Object.entries(m)) {
        const want = perStep.steps[i]![k]!
        assert.ok(Math.abs(v - want) <= 1e-5 * Math.max(1, Math.abs(want)), `step ${i + 1} ${k}: ${v} vs ${want}`)
      }
    })
    let worst = 0
    once.weights.forEach(([k, v], i) => {
      assert.equal(k, perStep.weights[i]![0])
      v.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - perStep.weights[i]![1][j]!))))
    })
    assert.ok(worst <= 1e-5, `largest weight difference ${worst}`)
  })
}

test("features of the wrong image set are refused, naming the method and the option", async () => {
  const before = tf.memory().numTensors
  const model = tinyClip(5)
  const wrong = await embedImages(model, s0.session.images) // 10 rows; the session has 12 images
  const options = { ...quickOptions({ epochs: 1, batchSize: 4, maxSteps: 1 }), part: { encoder: "all" as const } }
  await assert.rejects(finetune(model, s1.session, vrlwf({ count: 4 }), options, { previousImages: wrong }), (e: unknown) => {
    assert.ok(e instanceof ShapeMismatchError)
    assert.match(e.message, /^VR-LwF: tensor 'previousImages' has shape \[10, 8\], expected \[12, embedDim\]/)
    return true
  })
  const three = tf.zeros([3, 8]) as tf.Tensor2D
  await assert.rejects(finetune(model, s1.session, icarl({ memory, teacherImages: { features: three, scale: wrong.scale } }), options), /iCaRL: tensor 'teacherImages' has shape \[3, 8\]/)
  three.dispose()
  wrong.features.dispose()
  wrong.scale.dispose()
  model.dispose()
  assert.equal(tf.memory().numTensors, before, "a refused setup leaves nothing behind")
})

test("embedImages encodes every row once, in order, and stops when aborted", async () => {
  const model = tinyClip(5)
  const batches: Array<number> = []
  const f = await embedImages(model, s1.session.images, { batchSize: 8, onBatch: (done) => batches.push(done) })
  assert.deepEqual(batches, [8, 12])
  assert.deepEqual(f.features.shape, [12, 8])
  const direct = tf.tidy(() => model.encodeImage(s1.session.images.batch([11, 2])).arraySync())
  const rows = tf.tidy(() => tf.gather(f.features, [11, 2]).arraySync())
  rows.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(x - direct[i]![j]!) < 1e-6)))
  assert.equal(f.scale.dataSync()[0], tf.tidy(() => model.logitScaleTensor().dataSync()[0]))
  const stop = new AbortController()
  stop.abort()
  await assert.rejects(embedImages(model, s1.session.images, { signal: stop.signal }))
  f.features.dispose()
  f.scale.dispose()
  model.dispose()
})
