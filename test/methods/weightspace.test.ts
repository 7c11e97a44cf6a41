import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { imm } from "../../src/methods/imm.js"
import { wiseft } from "../../src/methods/wiseft.js"
import { makeWeightAverager } from "../../src/methods/zscl.js"
import { rectify } from "../../src/methods/rkr.js"
import { values } from "./helpers.js"

const w = (a: number[], b: number) => new Map<string, tf.Tensor>([["fc.weight", tf.tensor1d(a)], ["logit_scale", tf.scalar(b)]])

test("WiSE-FT: (1 - alpha) zero-shot + alpha fine-tuned", () => {
  const out = wiseft(w([0, 10], 1), w([4, 2], 3), 0.25)
  assert.deepEqual(values(out.get("fc.weight")!), [1, 8])
  assert.deepEqual(values(out.get("logit_scale")!), [1.5])
  assert.deepEqual(values(wiseft(w([0, 10], 1), w([4, 2], 3), 0).get("fc.weight")!), [0, 10])
  assert.deepEqual(values(wiseft(w([0, 10], 1), w([4, 2], 3), 1).get("fc.weight")!), [4, 2])
})

test("IMM: mean of the previous and current session by default", () => {
  const out = imm(w([2, 4], 0), w([4, 0], 2))
  assert.deepEqual(values(out.get("fc.weight")!), [3, 2])
  assert.deepEqual(values(out.get("logit_scale")!), [1])
})

test("weight interpolation names what does not match", () => {
  assert.throws(() => wiseft(w([1, 2], 0), new Map<string, tf.Tensor>([["fc.weight", tf.tensor1d([1, 2, 3])], ["logit_scale", tf.scalar(0)]]), 0.5), /WiSE-FT: tensor 'fc.weight' has shape \[3\], expected \[2\]/)
  assert.throws(() => imm(w([1, 2], 0), new Map<string, tf.Tensor>([["fc.weight", tf.tensor1d([1, 2])]])), /IMM: option 'weights' differ in parameter names: logit_scale/)
  assert.throws(() => wiseft(w([1], 0), w([1], 0), 1.5), /option 'alpha' must be in \[0, 1\]/)
})

test("ZSCL's weight averager keeps the running mean of the weights", () => {
  const v = tf.variable(tf.tensor1d([0, 6]))
  const avg = makeWeightAverager([v])
  v.assign(tf.tensor1d([2, 0]))
  avg.update() // (0 + 2) / 2, (6 + 0) / 2
  v.assign(tf.tensor1d([4, 3]))
  avg.update() // (1*2 + 4) / 3, (3*2 + 3) / 3
  assert.equal(avg.count, 3)
  avg.apply()
  assert.deepEqual(values(v), [2, 3])
  avg.dispose()
  v.dispose()
})

test("RKR rectifies a weight as (W0 + A B) * s", () => {
  const out = rectify(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1], [2]]), tf.tensor2d([[3, 4]]), tf.tensor2d([[1], [0.5]]))
  // W0 + AB = [[4, 4], [6, 9]]; rows scaled by 1 and 0.5
  assert.deepEqual(values(out), [4, 4, 3, 4.5])
})

test("RKR maps dL/dW to its rectifiers by the chain rule (matches autodiff)", async () => {
  const { rkr } = await import("../../src/methods/rkr.js")
  const { makeRng } = await import("../../src/random.js")
  const w = tf.variable(tf.tensor2d([[1, 2, 0], [0, -1, 3]]))
  const bias = tf.variable(tf.tensor1d([0.5, -0.5]))
  const model = { params: new Map<string, tf.Variable>([["fc.weight", w], ["fc.bias", bias]]) }
  const setup = { model, variables: [w, bias], rng: makeRng(1) } as unknown as Parameters<ReturnType<typeof rkr>["setup"]>[0]
  const m = rkr({ rank: 1, initStd: 0.5 }).setup(setup)
  const re = m.reparameterize!
  const [a, b, s, bOpt] = re.variables
  assert.equal(bOpt, bias)
  a.assign(tf.tensor2d([[0.3], [-0.2]]))
  s.assign(tf.tensor2d([[1.5], [0.5]]))
  re.beforeStep()
  const c = tf.tensor2d([[1, -2, 0.5], [2, 1, -1]])
  // L = sum(W * C) so dL/dW = C; autodiff through (W0 + A B) * s gives the reference.
  const w0 = tf.tensor2d([[1, 2, 0], [0, -1, 3]])
  const ref = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(rectify(w0, xs[0] as tf.Tensor2D, xs[1] as tf.Tensor2D, xs[2] as tf.Tensor2D), c)))([a, b, s])
  const mapped = re.gradients([c, tf.tensor1d([7, 8])])
  for (let i = 0; i < 3; i++) assert.ok(values(mapped[i]!).every((x, j) => Math.abs(x - values(ref[i])[j]) < 1e-5), `param ${i}`)
  assert.deepEqual(values(mapped[3]!), [7, 8])
  // W follows the rectifiers
  assert.ok(values(w).every((x, j) => Math.abs(x - values(rectify(w0, a as tf.Tensor2D, b as tf.Tensor2D, s as tf.Tensor2D))[j]) < 1e-6))
  m.dispose()
})
