import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { classificationAccuracy, topKAccuracy } from "../../src/eval/accuracy.js"
import { MetricInputError } from "../../src/eval/EvalError.js"
import { classesSeen, zeroShotAccuracy } from "../../src/eval/zeroShot.js"

/** Throws-check that also pins the tagged error's metric and field. */
const rejects = (f: () => unknown, field: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof MetricInputError && field.test(e.field) && e.message.includes(e.field))

describe("classificationAccuracy", () => {
  // 4 examples, 6 classes. True-class ranks (strictly greater count): 0, 1, 5, 2.
  const scores = [
    [0.9, 0.1, 0.0, 0.0, 0.0, 0.0], // label 0: rank 0
    [0.5, 0.4, 0.0, 0.0, 0.0, 0.0], // label 1: rank 1
    [0.6, 0.5, 0.4, 0.3, 0.2, 0.1], // label 5: rank 5
    [0.1, 0.3, 0.2, 0.9, 0.0, 0.0], // label 2: rank 2
  ]
  const labels = [0, 1, 5, 2]

  it("computes top-1, top-5 and arbitrary k from hand-computed ranks", () => {
    const r = classificationAccuracy(scores, labels, { ks: [1, 2, 3, 5, 6] })
    assert.equal(r.n, 4)
    assert.equal(r.classes, 6)
    assert.equal(r.top1, 1 / 4)
    assert.equal(r.topK[2], 2 / 4)
    assert.equal(r.topK[3], 3 / 4)
    assert.equal(r.top5, 3 / 4)
    assert.equal(r.topK[6], 1)
    assert.equal(r.ties, 0)
    assert.equal(topKAccuracy(scores, labels, 3), 3 / 4)
  })

  it("gives the same answer for tensors, dense matrices and small chunks", () => {
    const dense = { data: Float32Array.from(scores.flat()), rows: 4, cols: 6 }
    const t = tf.tensor2d(scores)
    const before = tf.memory().numTensors
    const a = classificationAccuracy(t, tf.tensor1d(labels, "int32"))
    const b = classificationAccuracy(dense, Int32Array.from(labels), { chunkRows: 1 })
    const c = classificationAccuracy(t, labels, { chunkRows: 3 })
    assert.deepEqual([a.top1, a.top5], [0.25, 0.75])
    assert.deepEqual(b, c)
    assert.equal(b.top1, a.top1)
    // Only the label tensor we created above (1) may remain.
    assert.equal(tf.memory().numTensors, before + 1)
    t.dispose()
  })

  it("counts ties in the target's favour by default and against it when pessimistic", () => {
    const tied = [
      [0.5, 0.5, 0.1], // label 1 tied with class 0
      [0.2, 0.2, 0.2], // collapsed row, label 2
      [0.1, 0.7, 0.3], // label 1, clean hit
    ]
    const opt = classificationAccuracy(tied, [1, 2, 1], { ks: [1, 2] })
    const pes = classificationAccuracy(tied, [1, 2, 1], { ks: [1, 2], ties: "pessimistic" })
    assert.equal(opt.top1, 1)
    assert.equal(pes.top1, 1 / 3)
    assert.equal(pes.topK[2], 2 / 3) // the collapsed row has 2 others >= it
    assert.equal(opt.ties, 2)
  })

  it("handles -Infinity masks and a single class", () => {
    assert.equal(classificationAccuracy([[-Infinity, 1, -Infinity]], [1]).top1, 1)
    assert.equal(classificationAccuracy([[-Infinity, 1]], [0], { ties: "pessimistic" }).top1, 0)
    assert.equal(classificationAccuracy([[3], [4]], [0, 0]).top1, 1)
  })

  it("scales to 10k x 1000 in chunks", () => {
    const n = 10_000
    const c = 1000
    const data = new Float32Array(n * c)
    const labels = new Int32Array(n)
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    for (let i = 0; i < data.length; i++) data[i] = rnd()
    // Make every third example a certain top-1 hit.
    let expectedTop1 = 0
    for (let j = 0; j < n; j++) {
      labels[j] = j % c
      if (j % 3 === 0) data[j * c + labels[j]] = 2
    }
    for (let j = 0; j < n; j++) {
      const own = data[j * c + labels[j]]
      let rank = 0
      for (let k = 0; k < c; k++) if (data[j * c + k] > own) rank++
      if (rank === 0) expectedTop1++
    }
    const r = classificationAccuracy({ data, rows: n, cols: c }, labels)
    assert.equal(r.top1, expectedTop1 / n)
    assert.ok(r.top1 >= 1 / 3 && r.top5 > r.top1)
  })

  it("rejects NaN, empty input, bad labels, shape mismatch and bad k with the culprit named", () => {
    rejects(() => classificationAccuracy([[0.1, NaN], [0, 1]], [0, 1]), /^scores\[0\]\[1\]$/)
    rejects(() => classificationAccuracy([], []), /^scores$/)
    rejects(() => classificationAccuracy([[1, 2]], [2]), /^labels\[0\]$/)
    rejects(() => classificationAccuracy([[1, 2]], [0.5]), /^labels\[0\]$/)
    rejects(() => classificationAccuracy([[1, 2]], [0, 1]), /^labels$/)
    rejects(() => classificationAccuracy([[1, 2], [1]], [0, 1]), /^scores$/)
    rejects(() => classificationAccuracy({ data: new Float32Array(5), rows: 2, cols: 3 }, [0, 1]), /^scores$/)
    rejects(() => classificationAccuracy([[1, 2]], [0], { ks: [0] }), /^ks$/)
    const t = tf.tensor1d([1, 2]) as unknown as tf.Tensor2D
    rejects(() => classificationAccuracy(t, [0]), /^scores$/)
    t.dispose()
  })
})

describe("zeroShotAccuracy", () => {
  // Class text features: unit axes in 3-d (class 3 = diagonal), images near them.
  const classFeatures = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [1, 1, 0],
  ]
  // Image 0 is nearest class 3 (cos 0.99) then class 0; image 1 is class 1; image 2 class 2 at scale 10.
  const imageFeatures = [
    [1, 0.9, 0],
    [0, 2, 0.1],
    [0, 0, 10],
  ]

  it("scores over all classes by cosine (norms ignored)", () => {
    const r = zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2] }, { ks: [1, 2] })
    assert.equal(r.top1, 2 / 3) // image 0 goes to class 3
    assert.equal(r.topK[2], 1)
    assert.deepEqual(r.candidates, [0, 1, 2, 3])
  })

  it("scores over the classes seen so far", () => {
    const sessions = [[0, 1], [2], [3]]
    assert.deepEqual(classesSeen(sessions, 1), [0, 1, 2])
    const r = zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: classesSeen(sessions, 1) })
    assert.equal(r.top1, 1) // class 3 is not a candidate yet
    assert.equal(r.classes, 3)
    const same = zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: { sessions, upTo: 1 } })
    assert.deepEqual(same, r)
    const later = zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: { sessions, upTo: 2 } })
    assert.equal(later.top1, 2 / 3)
  })

  it("leaves no tensors behind", () => {
    const before = tf.memory().numTensors
    zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: [2, 1, 0] }, { chunkRows: 2 })
    assert.equal(tf.memory().numTensors, before)
  })

  it("names the input at fault", () => {
    rejects(() => zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 3], classes: [0, 1, 2] }), /^labels\[2\]$/)
    rejects(() => zeroShotAccuracy({ imageFeatures: [[0, 0, 0]], classFeatures, labels: [0] }), /^imageFeatures\[0\]$/)
    rejects(() => zeroShotAccuracy({ imageFeatures, classFeatures: [[1, 0]], labels: [0, 0, 0] }), /^classFeatures$/)
    rejects(() => zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: [0, 0] }), /^classes\[1\]$/)
    rejects(() => zeroShotAccuracy({ imageFeatures, classFeatures, labels: [0, 1, 2], classes: [] }), /^classes$/)
    rejects(() => classesSeen([[0]], 1), /^t$/)
  })
})
