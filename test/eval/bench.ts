/**
 * Timings of the eval metrics at the paper's sizes, on random scores:
 *   node --import tsx test/eval/bench.ts
 * Prints one line per case (wall-clock ms, tfjs CPU backend).
 */
import { tf } from "../../src/backend/tf.js"
import { classificationAccuracy } from "../../src/eval/accuracy.js"
import { retrievalRecall, retrievalRecallFromFeatures } from "../../src/eval/retrieval.js"
import { zeroShotAccuracy } from "../../src/eval/zeroShot.js"

let seed = 1
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
const fill = (n: number) => Float32Array.from({ length: n }, rnd)

const time = <A>(label: string, f: () => A): A => {
  const t0 = performance.now()
  const r = f()
  console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms`)
  return r
}

await tf.ready()
console.log(`backend ${tf.getBackend()}`)
{
  const n = 10_000
  const c = 1000
  const scores = { data: fill(n * c), rows: n, cols: c }
  const labels = Int32Array.from({ length: n }, (_, i) => i % c)
  time("top-1/top-5 accuracy, 10k x 1000 logits", () => classificationAccuracy(scores, labels))
}
{
  const n = 10_000
  const d = 512
  const c = 1000
  time("zero-shot accuracy, 10k images x 1000 classes, d=512", () =>
    zeroShotAccuracy({
      imageFeatures: { data: fill(n * d), rows: n, cols: d },
      classFeatures: { data: fill(c * d), rows: c, cols: d },
      labels: Int32Array.from({ length: n }, (_, i) => i % c),
    }),
  )
}
{
  const nI = 1000
  const nT = 5000
  const sim = { data: fill(nI * nT), rows: nI, cols: nT }
  const own = Int32Array.from({ length: nT }, (_, t) => Math.floor(t / 5))
  time("retrieval R@1/5/10, Flickr 1k: 1k images x 5k captions", () => retrievalRecall(sim, own))
}
{
  const nI = 5000
  const d = 512
  const own = Int32Array.from({ length: nI * 5 }, (_, t) => Math.floor(t / 5))
  const imageFeatures = { data: fill(nI * d), rows: nI, cols: d }
  const textFeatures = { data: fill(nI * 5 * d), rows: nI * 5, cols: d }
  time("retrieval from features, COCO 5k as 5 x 1k folds (25k captions, d=512)", () =>
    retrievalRecallFromFeatures({ imageFeatures, textFeatures, captionImage: own }, { folds: 5 }),
  )
}
