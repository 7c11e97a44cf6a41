/**
 * Agreement with reference numbers computed by PyTorch the way published
 * evaluation code does it (see fixtures/make_reference.py): torch.topk
 * accuracy, and the VSE++/ALBEF argsort loop for retrieval, with folds.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { classificationAccuracy } from "../../src/eval/accuracy.js"
import { retrievalRecall } from "../../src/eval/retrieval.js"
import { zeroShotAccuracy } from "../../src/eval/zeroShot.js"

const ref = JSON.parse(readFileSync(new URL("./fixtures/reference.json", import.meta.url), "utf8"))
// Reference fractions went through float32 in torch: compare to 1e-6.
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} != ${b}`)

describe("agreement with the PyTorch reference", () => {
  it("top-1 / top-5 accuracy", () => {
    const c = ref.classification
    const r = classificationAccuracy(c.scores, c.labels)
    near(r.top1, c.top1)
    near(r.top5, c.top5)
    assert.equal(r.ties, 0)
  })

  it("zero-shot accuracy over all classes and over a subset", () => {
    const z = ref.zeroShot
    const all = zeroShotAccuracy({ imageFeatures: z.imageFeatures, classFeatures: z.classFeatures, labels: z.labels })
    near(all.top1, z.top1)
    near(all.top5, z.top5)
    const keep: number[] = z.subsetKeep
    const sub = zeroShotAccuracy({
      imageFeatures: keep.map((i) => z.imageFeatures[i]),
      classFeatures: z.classFeatures,
      labels: keep.map((i) => z.labels[i]),
      classes: z.subset,
    })
    near(sub.top1, z.subsetTop1)
    assert.ok(sub.top1 > all.top1) // fewer candidates: the subset protocol is easier
  })

  it("retrieval R@1/5/10 with several captions per image, 1 and 4 folds", () => {
    const q = ref.retrieval
    for (const [folds, exp] of [[1, q.folds1], [4, q.folds4]] as const) {
      const r = retrievalRecall(q.similarity, q.captionImage, { folds })
      ;[1, 5, 10].forEach((k, j) => {
        near(r.imageToText[k], exp.i2t[j])
        near(r.textToImage[k], exp.t2i[j])
      })
    }
  })
})
