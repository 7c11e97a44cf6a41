import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { MetricInputError } from "../../src/eval/EvalError.js"
import { RetrievalProtocol, retrievalRecall, retrievalRecallFromFeatures } from "../../src/eval/retrieval.js"

const rejects = (f: () => unknown, field: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof MetricInputError && field.test(e.field))

describe("retrievalRecall", () => {
  // 3 images, 6 captions: image 0 -> captions 0,1; image 1 -> 2,3,4; image 2 -> 5.
  const owner = [0, 0, 1, 1, 1, 2]
  const sim = [
    [0.2, 0.9, 0.8, 0.1, 0.0, 0.3], // best own caption 0.9: rank 0
    [0.5, 0.6, 0.1, 0.4, 0.2, 0.7], // best own caption 0.4: 3 texts above -> rank 3
    [0.9, 0.8, 0.7, 0.6, 0.5, 0.1], // own caption 0.1: rank 5
  ]

  it("image-to-text: a hit is any of the image's captions", () => {
    const r = retrievalRecall(sim, owner, { ks: [1, 4, 5, 6, 10] })
    assert.deepEqual(r.imageToText, { 1: 1 / 3, 4: 2 / 3, 5: 2 / 3, 6: 1, 10: 1 })
  })

  it("text-to-image: each caption looks for its own image", () => {
    // Caption ranks (images scoring strictly above the caption's image): 2, 0, 2, 1, 1, 2.
    const r = retrievalRecall(sim, owner, { ks: [1, 2, 3] })
    assert.deepEqual(r.textToImage, { 1: 1 / 6, 2: 3 / 6, 3: 1 })
    assert.equal(r.mean[1], (1 / 3 + 1 / 6) / 2)
    assert.equal(r.images, 3)
    assert.equal(r.texts, 6)
  })

  it("defaults to R@1/5/10 and agrees across input forms and chunk sizes", () => {
    const t = tf.tensor2d(sim)
    const before = tf.memory().numTensors
    const a = retrievalRecall(t, owner)
    assert.equal(tf.memory().numTensors, before)
    const b = retrievalRecall({ data: Float32Array.from(sim.flat()), rows: 3, cols: 6 }, Int32Array.from(owner), { chunkRows: 1 })
    assert.deepEqual(a, b)
    assert.deepEqual(Object.keys(a.imageToText).map(Number), [1, 5, 10])
    t.dispose()
  })

  it("ties count as hits, or as misses when pessimistic", () => {
    // Image 0's only caption (0) ties with caption 1 (image 1's); image 1's caption wins cleanly.
    const s = [
      [0.5, 0.5],
      [0.1, 0.9],
    ]
    const opt = retrievalRecall(s, [0, 1], { ks: [1] })
    const pes = retrievalRecall(s, [0, 1], { ks: [1], ties: "pessimistic" })
    assert.equal(opt.imageToText[1], 1)
    assert.equal(pes.imageToText[1], 1 / 2)
    // Text side: caption 0's column is [0.5, 0.1] (clean); caption 1's is [0.5, 0.9] (clean).
    assert.equal(pes.textToImage[1], 1)
    // A caption tied with another of the *same* image is not a competitor.
    const same = retrievalRecall([[0.7, 0.7, 0.2]], [0, 0, 0], { ks: [1], ties: "pessimistic" })
    assert.equal(same.imageToText[1], 1)
  })

  describe("folds", () => {
    // 4 images, one caption each, captions shuffled: t0->img1, t1->img0, t2->img3, t3->img2.
    const owner4 = [1, 0, 3, 2]
    const s4 = [
      [0.1, 0.5, 0.9, 0.0],
      [0.6, 0.2, 0.0, 0.9],
      [0.9, 0.0, 0.4, 0.3],
      [0.0, 0.9, 0.8, 0.1],
    ]

    it("ranks each fold against its own captions and averages", () => {
      const r = retrievalRecall(s4, owner4, { ks: [1, 2], folds: 2 })
      assert.equal(r.folds, 2)
      assert.deepEqual(r.perFold.map((p) => p.imageToText[1]), [1, 0.5])
      assert.equal(r.imageToText[1], 0.75)
      assert.equal(r.textToImage[1], 1)
    })

    it("without folds every image competes with every caption", () => {
      const r = retrievalRecall(s4, owner4, { ks: [1, 2] })
      assert.deepEqual(r.imageToText, { 1: 0, 2: 0.75 })
      assert.deepEqual(r.textToImage, { 1: 0, 2: 1 })
    })

    it("names the paper's protocols", () => {
      assert.equal(RetrievalProtocol.coco1k.folds, 5)
      assert.equal(RetrievalProtocol.flickr1k.folds, 1)
    })
  })

  it("matches a brute-force count on a random 50 x 250 problem with 5 folds", () => {
    const nI = 50
    const nT = 250
    let seed = 3
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648)
    const own = Array.from({ length: nT }, (_, t) => Math.floor(t / 5))
    const s = Array.from({ length: nI }, () => Array.from({ length: nT }, () => Math.fround(rnd())))
    const r = retrievalRecall(s, own, { folds: 5, chunkRows: 7 })
    let i2t = 0
    let t2i = 0
    for (let f = 0; f < 5; f++) {
      const imgs = [...Array(10).keys()].map((i) => i + f * 10)
      const txts = [...Array(nT).keys()].filter((t) => imgs.includes(own[t]))
      for (const i of imgs) {
        const best = Math.max(...txts.filter((t) => own[t] === i).map((t) => s[i][t]))
        if (txts.filter((t) => s[i][t] > best).length < 5) i2t++
      }
      for (const t of txts) if (imgs.filter((i) => s[i][t] > s[own[t]][t]).length < 5) t2i++
    }
    assert.ok(Math.abs(r.imageToText[5] - i2t / 50) < 1e-12)
    assert.ok(Math.abs(r.textToImage[5] - t2i / 250) < 1e-12)
  })

  it("rejects bad input with the culprit named", () => {
    rejects(() => retrievalRecall([[0.1, NaN]], [0, 0]), /^similarity\[0\]\[1\]$/)
    rejects(() => retrievalRecall([], []), /^similarity$/)
    rejects(() => retrievalRecall([[1, 2]], [0, 1]), /^captionImage\[1\]$/)
    rejects(() => retrievalRecall([[1], [2]], [0]), /^captionImage$/) // image 1 has no caption
    rejects(() => retrievalRecall([[1, 2]], [0]), /^captionImage$/) // length mismatch
    rejects(() => retrievalRecall(sim, owner, { folds: 2 }), /^folds$/)
    rejects(() => retrievalRecall(sim, owner, { ks: [0] }), /^ks$/)
  })

  it("from features: same as ranking the full cosine matrix, fold by fold", () => {
    let seed = 11
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5
    const nI = 20
    const d = 8
    const own = Array.from({ length: nI * 3 }, (_, t) => t % nI) // 3 captions per image, interleaved
    const imgs = Array.from({ length: nI }, () => Array.from({ length: d }, rnd))
    const txts = own.map((i) => imgs[i].map((v) => v + rnd())) // noisy copies of their image
    const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n) }
    const sim = tf.tidy(() => tf.matMul(tf.tensor2d(imgs.map(unit)), tf.tensor2d(txts.map(unit)), false, true) as tf.Tensor2D)
    for (const folds of [1, 4]) {
      const before = tf.memory().numTensors
      const a = retrievalRecallFromFeatures({ imageFeatures: imgs, textFeatures: txts, captionImage: own }, { folds, ks: [1, 5] })
      assert.equal(tf.memory().numTensors, before)
      const b = retrievalRecall(sim, own, { folds, ks: [1, 5] })
      for (const k of [1, 5]) {
        assert.ok(Math.abs(a.imageToText[k] - b.imageToText[k]) < 1e-12)
        assert.ok(Math.abs(a.textToImage[k] - b.textToImage[k]) < 1e-12)
      }
      assert.ok(a.imageToText[5] > 0.5) // the noisy copies are findable: the test is not vacuous
    }
    sim.dispose()
    rejects(() => retrievalRecallFromFeatures({ imageFeatures: [[0, 0]], textFeatures: [[1, 0]], captionImage: [0] }), /^imageFeatures\[0\]$/)
    rejects(() => retrievalRecallFromFeatures({ imageFeatures: [[1, 0]], textFeatures: [[1, 0, 0]], captionImage: [0] }), /^textFeatures$/)
  })
})
