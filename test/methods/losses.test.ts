import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { contrastiveLoss } from "../../src/methods/contrastive.js"
import { crossEntropy } from "../../src/methods/crossEntropy.js"
import { bidirectionalDistillation, klDivergence, softCrossEntropy } from "../../src/methods/distill.js"
import { lwfLoss } from "../../src/methods/lwf.js"
import { similarityLogits } from "../../src/methods/similarity.js"
import { vrLoss, vrlwfTotal } from "../../src/methods/vrlwf.js"
import { close, values } from "./helpers.js"

const near = (a: number[], b: number[], tol = 1e-5) =>
  assert.ok(a.length === b.length && a.every((x, i) => close(x, b[i], tol)), `${JSON.stringify(a)} != ${JSON.stringify(b)}`)

test("similarityLogits normalises both sides and scales", () => {
  // |[3,4]| = 5 -> [0.6, 0.8]; b rows normalise to [1,0] and [0,1]; x2.
  near(values(similarityLogits(tf.tensor2d([[3, 4]]), tf.tensor2d([[1, 0], [0, 2]]), 2)), [1.2, 1.6])
})

test("similarityLogits names the mismatched tensor", () => {
  assert.throws(() => similarityLogits(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2, 3]]), 1), /similarityLogits: tensor 'b' has shape \[1, 3\]/)
})

test("crossEntropy: value and gradient by hand", () => {
  // row 0: logsumexp(1,2,3) - 3 = 0.40760596; row 1: log 3 = 1.09861229; mean 0.75310913
  const logits = tf.tensor2d([[1, 2, 3], [1, 1, 1]])
  near(values(crossEntropy(logits, [2, 0])), [0.7531091265562448])
  // d/dz = (softmax - onehot) / n
  const g = tf.grad((z: tf.Tensor) => crossEntropy(z as tf.Tensor2D, [2, 0]))(logits)
  near(values(g), [0.09003057 / 2, 0.24472847 / 2, (0.66524096 - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6], 1e-5)
})

test("contrastiveLoss: symmetric InfoNCE by hand", () => {
  // texts normalise to [1,0], [.7071,.7071]; logits [[1,.7071],[0,.7071]];
  // image->text CE 0.479096..., text->image CE 0.503218...; mean 0.4911570
  const v = contrastiveLoss(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1, 0], [1, 1]]), 1)
  near(values(v), [0.4911570396112658])
})

test("contrastiveLoss is symmetric in images and texts", () => {
  const a = tf.tensor2d([[1, 2, 0], [0, 1, 1], [2, 0, 1]])
  const b = tf.tensor2d([[1, 1, 0], [0, 2, 1], [1, 0, 3]])
  near(values(contrastiveLoss(a, b, 3)), values(contrastiveLoss(b, a, 3)))
})

test("klDivergence: batch mean of KL(teacher || student), by hand", () => {
  // row 0: p=[.25,.75], q=[.5,.5]: .25 ln .5 + .75 ln 1.5 = 0.1308120
  // row 1: p=[.5,.5], q=[.25,.75]: .5 ln 2 + .5 ln(2/3) = 0.1438410
  const t = tf.tensor2d([[0, Math.log(3)], [0, 0]])
  const s = tf.tensor2d([[0, 0], [0, Math.log(3)]])
  near(values(klDivergence(t, s)), [0.1373265360835137])
  near(values(lwfLoss(t, s)), [0.1373265360835137])
  // gradient w.r.t. the student: (q - p) / n
  const g = tf.grad((x: tf.Tensor) => klDivergence(t, x as tf.Tensor2D))(s)
  near(values(g), [(0.5 - 0.25) / 2, (0.5 - 0.75) / 2, (0.25 - 0.5) / 2, (0.75 - 0.5) / 2])
  assert.equal(values(klDivergence(t, t))[0] < 1e-7, true)
})

test("klDivergence with temperature 2", () => {
  // t/2 = [0, ln3/2] -> p = [1, sqrt 3] / (1 + sqrt 3); q = [.5, .5]
  near(values(lwfLoss(tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[0, 0]]), 2)), [0.0363407828704735])
  assert.throws(() => klDivergence(tf.tensor2d([[0, 1]]), tf.tensor2d([[0, 1]]), 0), /option 'temperature' must be > 0/)
})

test("softCrossEntropy (ZSCL's distillation) is T^2 times the soft-label CE", () => {
  // q = [.5,.5] so CE = ln 2 whatever p; times T^2 = 4
  near(values(softCrossEntropy(tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[0, 0]]), 2)), [4 * Math.LN2])
  // both directions: rows [[0,0],[0,0]] student uniform over 2 -> each direction 4 ln 2
  const t = tf.tensor2d([[1, 0], [0, 1]])
  near(values(bidirectionalDistillation(t, tf.zeros([2, 2]) as tf.Tensor2D, 2)), [8 * Math.LN2])
})

test("vrLoss from features: each side uses its own scale", () => {
  // teacher logits [1, 0] (scale 1), student logits [0, 2] (image [0,1], scale 2)
  // KL(softmax[1,0] || softmax[0,2]) = 1.0068421
  const texts = tf.tensor2d([[1, 0], [0, 1]])
  const v = vrLoss({ images: tf.tensor2d([[1, 0]]), texts, scale: 1 }, { images: tf.tensor2d([[0, 1]]), texts, scale: tf.scalar(2) })
  near(values(v), [1.0068420594147645])
})

test("vrlwfTotal = CE + alpha (LwF + VR), LwF optional", () => {
  near(values(vrlwfTotal(tf.scalar(0.5), tf.scalar(0.2), tf.scalar(0.1), 0.5)), [0.65])
  near(values(vrlwfTotal(tf.scalar(0.5), tf.scalar(0.2), undefined, 0.5)), [0.6])
})

test("losses free their temporaries", () => {
  const t = tf.tensor2d([[0, 1, 2], [2, 1, 0]])
  const before = tf.memory().numTensors
  for (const f of [() => klDivergence(t, t), () => crossEntropy(t, [0, 1]), () => contrastiveLoss(t, t, 2), () => bidirectionalDistillation(t, t)]) f().dispose()
  assert.equal(tf.memory().numTensors, before)
})

test("contrastiveLoss gradient matches finite differences", () => {
  const texts = tf.tensor2d([[1, 0, 0.5], [0.2, 1, 0], [0, 0.3, 1]])
  const x0 = [0.9, 0.1, 0.2, -0.3, 0.8, 0.4, 0.5, -0.2, 1.1]
  const f = (x: tf.Tensor) => contrastiveLoss(x as tf.Tensor2D, texts, 4)
  const g = values(tf.grad(f)(tf.tensor2d(x0, [3, 3])))
  const h = 1e-2
  x0.forEach((_, i) => {
    const p = x0.slice(); p[i] += h
    const m = x0.slice(); m[i] -= h
    const num = (values(f(tf.tensor2d(p, [3, 3])))[0] - values(f(tf.tensor2d(m, [3, 3])))[0]) / (2 * h)
    assert.ok(Math.abs(num - g[i]) < 2e-3, `${i}: ${g[i]} vs ${num}`)
  })
})
