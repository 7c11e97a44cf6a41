// The fused kernels (layer norm, QuickGELU / GELU, the softmax gradient) on
// the native backend against the composite ops on the plain cpu backend,
// forward and gradients with respect to every input.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { gelu, quickGelu } from "../../src/clip/activation.js"
import { layerNorm } from "../../src/clip/layerNorm.js"
import { input, nativeCalls, sameOnBoth, skipNative, values, type Input } from "./helpers.js"

const weightedGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]): tf.Tensor[] =>
  tf.grads((...ys: tf.Tensor[]) => {
    const y = f(...ys)
    return tf.sum(tf.mul(y, tf.tensor(values(y.size, 99), y.shape)))
  })(xs)

const assertNative = (kernel: string, inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): void => {
  assert.ok((nativeCalls(inputs, f).get(kernel) ?? 0) > 0, `${kernel} did not run`)
}

describe("fused layer norm", { skip: skipNative }, () => {
  const cases: Array<[string, number[]]> = [
    ["one row", [1, 5]],
    ["rank 3, odd width", [3, 7, 13]],
    ["CLIP-sized (threads)", [4, 65, 128]],
    ["width 1", [6, 1]],
  ]
  for (const [name, shape] of cases) {
    it(`${name}: forward and gradients of x, gamma, beta`, () => {
      const n = shape[shape.length - 1]
      // An offset and a scale per row, so mean and variance matter.
      const x = input(shape, 31, 3)
      const ins = [x, input([n], 32), input([n], 33)]
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(tf.add(a, 0.5), g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)
      sameOnBoth(`layerNorm ${name}`, ins, f, { atol: 1e-4 })
      sameOnBoth(`layerNorm ${name} grads`, ins, weightedGrads(f), { atol: 2e-4, rtol: 1e-3 })
      assertNative("ClipclLayerNorm", ins, f)
      assertNative("ClipclLayerNormGrad", ins, weightedGrads(f))
    })
  }

  it("a row of equal values (zero variance) stays finite, as the composite does", () => {
    const ins = [{ shape: [2, 4], data: Float32Array.from([1, 1, 1, 1, 0, 2, 4, 6]) }, input([4], 1), input([4], 2)]
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)
    sameOnBoth("layerNorm constant row", ins, f, { atol: 1e-4 })
    sameOnBoth("layerNorm constant row grads", ins, weightedGrads(f), { atol: 1e-2, rtol: 1e-3 })
  })

  it("a gamma that is not a vector of the last axis takes the composite path, still correct", () => {
    const ins = [input([3, 4], 5), input([1, 4], 6), input([4], 7)]
    const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5)
    sameOnBoth("layerNorm 2-d gamma", ins, f)
    assert.equal(nativeCalls(ins, f).get("ClipclLayerNorm") ?? 0, 0)
  })
})

describe("fused activations", { skip: skipNative }, () => {
  for (const [name, act, kind] of [["QuickGELU", quickGelu, "quick"], ["GELU", gelu, "erf"]] as const) {
    it(`${name} (${kind}): small, large (threads), extreme values; gradient`, () => {
      const big = input([70, 512], 41, 6)
      const extreme = { shape: [6], data: Float32Array.from([-100, -20, 0, 1e-8, 20, 100]) }
      for (const [what, x] of [["small", input([3, 5], 40, 4)], ["large", big], ["extreme", extreme]] as const) {
        sameOnBoth(`${name} ${what}`, [x], (a) => act(a), { atol: 1e-5 })
        sameOnBoth(`${name} ${what} grad`, [x], weightedGrads((a) => act(a)), { atol: 1e-5, rtol: 1e-3 })
      }
      assertNative("ClipclActivation", [big], (a) => act(a))
      assertNative("ClipclActivationGrad", [big], weightedGrads((a) => act(a)))
    })
  }
})

describe("fused softmax gradient", { skip: skipNative }, () => {
  it("last axis, with a causal mask and large enough for threads; other axes use the composite", () => {
    const mask = new Float32Array(33 * 33)
    for (let i = 0; i < 33; i++) for (let j = i + 1; j < 33; j++) mask[i * 33 + j] = -1e9
    const ins = [input([8, 33, 33], 51, 4), { shape: [33, 33], data: mask }]
    const f = (s: tf.Tensor, m: tf.Tensor) => tf.softmax(tf.add(s, m))
    sameOnBoth("masked softmax grads", ins, weightedGrads(f), { atol: 1e-5, rtol: 1e-3 })
    assertNative("ClipclSoftmaxGrad", ins, weightedGrads(f))
    const wide = [input([5, 300], 52, 3)]
    sameOnBoth("softmax wide grads", wide, weightedGrads((s) => tf.softmax(s)), { atol: 1e-5, rtol: 1e-3 })
  })
})
