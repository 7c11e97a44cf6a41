// The native Adam step against the same formula in JavaScript (float64):
// weight decay, gradient scale, bias correction, sizes above the threading
// threshold; moments updated in place, the weights left untouched.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { nativeAdamStep } from "../../src/backend/adam.js"
import { skipNative, values } from "./helpers.js"

const reference = (w: Float32Array, g: Float32Array, m: Float64Array, v: Float64Array, o: { step: number; beta1: number; beta2: number; epsilon: number; c2: number; weightDecay: number; gradScale: number }): Float64Array => {
  const out = new Float64Array(w.length)
  for (let j = 0; j < w.length; j++) {
    const gj = g[j] * o.gradScale + o.weightDecay * w[j]
    m[j] = o.beta1 * m[j] + (1 - o.beta1) * gj
    v[j] = o.beta2 * v[j] + (1 - o.beta2) * gj * gj
    out[j] = w[j] - (o.step * m[j]) / (Math.sqrt(v[j] / o.c2) + o.epsilon)
  }
  return out
}

describe("native Adam step", { skip: skipNative }, () => {
  for (const n of [1, 7, 100_003]) {
    it(`${n} values, three steps: matches the formula; moments in place; weights untouched`, () => {
      let w = values(n, 1)
      const mNative = new Float32Array(n)
      const vNative = new Float32Array(n)
      const mRef = new Float64Array(n)
      const vRef = new Float64Array(n)
      for (let t = 1; t <= 3; t++) {
        const g = values(n, 10 + t, 2)
        const o = { step: 1e-2 / (1 - 0.9 ** t), beta1: 0.9, beta2: 0.999, epsilon: 1e-8, c2: 1 - 0.999 ** t, weightDecay: 0.1, gradScale: 0.5 }
        const before = Float32Array.from(w)
        const out = nativeAdamStep(w, g, mNative, vNative, o)
        assert.ok(out !== undefined)
        assert.notEqual(out, w)
        assert.deepEqual(w, before, "the weights' own buffer is not written")
        const expected = reference(w, g, mRef, vRef, o)
        for (let j = 0; j < n; j++) {
          assert.ok(Math.abs(out[j] - expected[j]) <= 1e-6 + 1e-5 * Math.abs(expected[j]), `w[${j}] step ${t}: ${out[j]} vs ${expected[j]}`)
          assert.ok(Math.abs(mNative[j] - mRef[j]) <= 1e-6 + 1e-5 * Math.abs(mRef[j]), `m[${j}]`)
          assert.ok(Math.abs(vNative[j] - vRef[j]) <= 1e-9 + 1e-5 * Math.abs(vRef[j]), `v[${j}]`)
        }
        w = out
      }
    })
  }

  it("arrays shorter than the weights are refused, not overrun", () => {
    assert.throws(() => nativeAdamStep(new Float32Array(8), new Float32Array(4), new Float32Array(8), new Float32Array(8), { step: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, c2: 1, weightDecay: 0, gradScale: 1 }), /g is shorter/)
  })
})
