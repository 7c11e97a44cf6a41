// Runs one computation on the plain cpu backend and on the native pack, from
// the same input values, and compares every output element to float32
// tolerance (relative to the magnitude of the cpu result).
import assert from "node:assert/strict"
import { fallbackCalls, NATIVE_BACKEND, registerNativeBackend } from "../../src/backend/native.js"
import { profileKernels } from "../../src/backend/profile.js"
import { tf } from "../../src/backend/tf.js"
// The CommonJS tfjs-core Node loads registers no gradients; the methods area's pack does.

const reg = registerNativeBackend()

/**
 * `false` when the native kernels run here, else the reason to skip the
 * comparison tests. Without the addon (no OpenBLAS on a user's machine) they
 * are skipped, except in CI or with CLIPCL_REQUIRE_NATIVE=1, where a missing
 * addon is a failure.
 */
export const skipNative: string | false = reg.ok
  ? false
  : process.env.CI || process.env.CLIPCL_REQUIRE_NATIVE === "1"
    ? (() => {
        throw new Error(`native backend unavailable for tests: ${reg.reason}`)
      })()
    : `native kernels not built (${reg.reason})`

/** Deterministic values in [-scale, scale) (mulberry32). */
export const values = (n: number, seed: number, scale = 1): Float32Array => {
  let s = seed >>> 0
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale
  }
  return out
}

export interface Input {
  readonly shape: number[]
  readonly data: Float32Array | Int32Array
  readonly dtype?: "float32" | "int32"
}

export const input = (shape: number[], seed: number, scale = 1): Input => ({
  shape,
  data: values(shape.reduce((a, b) => a * b, 1), seed, scale),
})

type Out = tf.Tensor | tf.Tensor[]

const run = (backend: string, inputs: ReadonlyArray<Input>, f: (...xs: tf.Tensor[]) => Out): { shapes: number[][]; data: Float32Array[]; dtypes: string[] } => {
  tf.setBackend(backend)
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype ?? (i.data instanceof Int32Array ? "int32" : "float32")))
    const r = f(...xs)
    const outs = Array.isArray(r) ? r : [r]
    return {
      shapes: outs.map((o) => o.shape),
      dtypes: outs.map((o) => o.dtype),
      data: outs.map((o) => Float32Array.from(o.dataSync() as Float32Array)),
    }
  })
}

/**
 * Asserts `f` gives the same result on both backends. NaN must match NaN;
 * otherwise |native - cpu| <= atol + rtol * |cpu|.
 */
export const sameOnBoth = (
  what: string,
  inputs: ReadonlyArray<Input>,
  f: (...xs: tf.Tensor[]) => Out,
  tol: { atol?: number; rtol?: number } = {}
): void => {
  const atol = tol.atol ?? 1e-5
  const rtol = tol.rtol ?? 1e-4
  const cpu = run("cpu", inputs, f)
  const native = run(NATIVE_BACKEND, inputs, f)
  assert.deepEqual(native.shapes, cpu.shapes, `${what}: shapes`)
  assert.deepEqual(native.dtypes, cpu.dtypes, `${what}: dtypes`)
  cpu.data.forEach((expected, k) => {
    const actual = native.data[k]
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i]
      const a = actual[i]
      if (Number.isNaN(e)) {
        assert.ok(Number.isNaN(a), `${what}: output ${k}[${i}] is ${a}, cpu gives NaN`)
        continue
      }
      if (!Number.isFinite(e)) {
        assert.equal(a, e, `${what}: output ${k}[${i}]`)
        continue
      }
      const err = Math.abs(a - e)
      assert.ok(err <= atol + rtol * Math.abs(e), `${what}: output ${k}[${i}] native ${a} vs cpu ${e} (|diff| ${err})`)
    }
  })
}

/**
 * Runs `f` on the native backend and returns, per kernel, how many calls ran
 * natively (dispatched minus handed back to the cpu kernel): proves a test
 * exercises the native path rather than the fallback.
 */
export const nativeCalls = (inputs: ReadonlyArray<Input>, f: (...xs: tf.Tensor[]) => Out): Map<string, number> => {
  tf.setBackend(NATIVE_BACKEND)
  const before = new Map(fallbackCalls())
  const { kernels } = profileKernels(() =>
    tf.tidy(() => {
      const xs = inputs.map((i) => tf.tensor(i.data, i.shape, i.dtype ?? (i.data instanceof Int32Array ? "int32" : "float32")))
      const r = f(...xs)
      ;(Array.isArray(r) ? r : [r]).forEach((o) => o.dataSync())
    })
  )
  const out = new Map<string, number>()
  for (const k of kernels) out.set(k.kernel, k.calls - ((fallbackCalls().get(k.kernel) ?? 0) - (before.get(k.kernel) ?? 0)))
  return out
}
