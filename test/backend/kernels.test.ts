// Every kernel the native pack replaces, against the plain cpu backend:
// forward and gradients, odd shapes, broadcasting, transposes, batch
// dimensions, inputs made non-contiguous by transpose/reshape, and sizes
// large enough to take the two-thread path (> 32768 elements).
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { nativeStatus, setNativeGemm } from "../../src/backend/native.js"
import { tf } from "../../src/backend/tf.js"
import { input, nativeCalls, sameOnBoth, skipNative, values, type Input } from "./helpers.js"

/** A weighted sum makes every output element matter to the gradient. */
const weightedGrads = (f: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]): tf.Tensor[] =>
  tf.grads((...ys: tf.Tensor[]) => {
    const y = f(...ys)
    const w = tf.tensor(values(y.size, 99), y.shape)
    return tf.sum(tf.mul(y, w))
  })(xs)

const assertNative = (kernel: string, inputs: Input[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): void => {
  const calls = nativeCalls(inputs, f).get(kernel) ?? 0
  assert.ok(calls > 0, `${kernel} did not run natively`)
}

describe("the comparison itself", { skip: skipNative }, () => {
  it("detects a native result that differs from cpu", () => {
    assert.throws(() => sameOnBoth("planted", [input([3], 1)], (x) => (tf.getBackend() === "native" ? tf.add(x, 1e-3) : x)), /planted/)
  })
})

describe("BatchMatMul and _FusedMatMul", { skip: skipNative }, () => {
  const cases: Array<[string, number[], number[], boolean, boolean]> = [
    ["2d", [7, 5], [5, 3], false, false],
    ["transpose a", [5, 7], [5, 3], true, false],
    ["transpose b", [7, 5], [3, 5], false, true],
    ["transpose both", [5, 7], [3, 5], true, true],
    ["1x1", [1, 1], [1, 1], false, false],
    ["batched", [4, 7, 5], [4, 5, 3], false, false],
    ["batched transposed (attention scores)", [6, 9, 8], [6, 9, 8], false, true],
    ["broadcast batch of a", [1, 7, 5], [3, 5, 4], false, false],
    ["broadcast batch of b", [2, 3, 7, 5], [5, 6], false, false],
    ["large (threads)", [130, 67], [67, 129], false, false],
  ]
  for (const [name, as, bs, ta, tb] of cases) {
    it(`matMul ${name}: forward and gradients`, () => {
      const ins = [input(as, 1), input(bs, 2)]
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb)
      sameOnBoth(`matMul ${name}`, ins, f, { atol: 1e-4 })
      sameOnBoth(`matMul ${name} grads`, ins, weightedGrads(f), { atol: 1e-4 })
      assertNative("BatchMatMul", ins, f)
    })
  }

  it("batch dims that broadcast both ways fall back to the cpu kernel, still correct", () => {
    const ins = [input([2, 1, 4, 3], 3), input([1, 3, 3, 5], 4)]
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b)
    sameOnBoth("matMul broadcast both", ins, f)
    assert.equal(nativeCalls(ins, f).get("BatchMatMul"), 0)
  })

  for (const activation of ["linear", "relu", "sigmoid"] as const) {
    it(`fused matMul + bias + ${activation}: forward and gradients`, () => {
      const ins = [input([9, 6], 5), input([4, 6], 6), input([4], 7)]
      const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
        tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeB: true, bias, activation })
      sameOnBoth(`fused ${activation}`, ins, f)
      assertNative("_FusedMatMul", ins, f)
      if (activation === "linear") sameOnBoth(`fused ${activation} grads`, ins, weightedGrads(f))
    })
  }

  it("fused matMul with an unsupported activation (elu) falls back and matches", () => {
    const ins = [input([5, 6], 8), input([6, 3], 9), input([3], 10)]
    const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
      tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: "elu" })
    sameOnBoth("fused elu", ins, f)
  })
})

describe("the addon's own GEMM (what runs without a BLAS library, or with CLIPCL_GEMM=vendored)", { skip: skipNative }, () => {
  // Sizes straddle its blocking: k > 256 (two depth slices, accumulation),
  // m > 96 (several row blocks), n not a multiple of 16 (edge tiles), and
  // a large enough product to split across threads.
  const cases: Array<[string, number[], number[], boolean, boolean]> = [
    ["blocked, edges everywhere", [101, 263], [263, 37], false, false],
    ["transpose a", [263, 101], [263, 37], true, false],
    ["transpose b", [101, 263], [37, 263], false, true],
    ["transpose both", [263, 101], [37, 263], true, true],
    ["threaded: several row blocks and B panels", [200, 300], [300, 130], false, false],
    ["short and wide (B panels split across threads)", [7, 300], [300, 515], false, false],
    ["1x1x1", [1, 1], [1, 1], false, false],
    ["batched small products (one per thread)", [12, 17, 64], [12, 17, 64], false, true],
    ["broadcast batch of b", [3, 40, 70], [70, 50], false, false],
  ]
  const withGemm = <R>(gemm: "vendored" | "blas", f: () => R): R => {
    const before = nativeStatus()?.gemm
    setNativeGemm(gemm)
    try {
      return f()
    } finally {
      if (before !== undefined) setNativeGemm(before === "vendored" ? "vendored" : "blas")
    }
  }
  for (const [name, as, bs, ta, tb] of cases) {
    it(`matMul ${name}: forward and gradients`, () => {
      const ins = [input(as, 11), input(bs, 12)]
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb)
      withGemm("vendored", () => {
        assert.equal(nativeStatus()?.gemm, "vendored")
        sameOnBoth(`vendored matMul ${name}`, ins, f, { atol: 1e-4 })
        sameOnBoth(`vendored matMul ${name} grads`, ins, weightedGrads(f), { atol: 1e-4 })
        assertNative("BatchMatMul", ins, f)
      })
    })
  }

  it("a planted error in the product would be caught at this tolerance", () => {
    const ins = [input([101, 263], 11), input([263, 37], 12)]
    withGemm("vendored", () => {
      assert.throws(() => sameOnBoth("planted", ins, (a, b) => tf.add(tf.matMul(a, b), tf.getBackend() === "native" ? 1e-3 : 0), { atol: 1e-4 }), /planted/)
    })
  })

  it("selecting a BLAS library the build does not link fails with a clear error", () => {
    if (nativeStatus()?.blas !== "none") return
    assert.throws(() => setNativeGemm("blas"), /GEMM 'blas' is not available \(this build links none\)/)
  })
})

describe("broadcasting arithmetic", { skip: skipNative }, () => {
  const ops: Array<[string, string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor]> = [
    ["Add", "add", tf.add],
    ["Sub", "sub", tf.sub],
    ["Multiply", "mul", tf.mul],
    ["RealDiv", "div", tf.div],
    ["Maximum", "maximum", tf.maximum],
    ["Minimum", "minimum", tf.minimum],
    ["SquaredDifference", "squaredDifference", tf.squaredDifference],
  ]
  const shapes: Array<[string, number[], number[]]> = [
    ["same shape", [3, 4, 5], [3, 4, 5]],
    ["row vector", [3, 4, 5], [5]],
    ["column", [3, 4, 5], [4, 1]],
    ["both broadcast", [3, 1, 5], [1, 4, 1]],
    ["scalar right", [6, 7], []],
    ["scalar left", [], [6, 7]],
    ["rank 5", [2, 1, 3, 1, 4], [1, 2, 1, 5, 4]],
    ["large row vector (threads)", [300, 129], [129]],
    ["large same shape (threads)", [40000], [40000]],
    ["empty", [0, 3], [3]],
  ]
  for (const [kernel, name, op] of ops) {
    it(`${name}: every broadcast pattern, forward`, () => {
      for (const [what, as, bs] of shapes) {
        // Divisors kept away from zero.
        const ins = [input(as, 11), kernel === "RealDiv" ? { shape: bs, data: values(bs.reduce((a, b) => a * b, 1), 12).map((v) => (v < 0 ? v - 0.5 : v + 0.5)) } : input(bs, 12)]
        sameOnBoth(`${name} ${what}`, ins, op)
      }
      assertNative(kernel, [input([3, 4], 1), input([4], 2)], op)
    })
  }

  it("gradients of add, sub, mul, div with broadcasting", () => {
    const ins = [input([3, 4, 5], 13), { shape: [4, 1], data: values(4, 14).map((v) => v + 2) }]
    for (const op of [tf.add, tf.sub, tf.mul, tf.div]) sameOnBoth(`grad ${op.name}`, ins, weightedGrads(op))
  })

  it("non-contiguous inputs: after transpose and reshape", () => {
    const ins = [input([4, 6, 5], 15), input([5, 24], 16)]
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.mul(tf.reshape(tf.transpose(a, [2, 0, 1]), [5, 24]), tf.add(b, 1))
    sameOnBoth("mul of transposed", ins, f)
  })

  it("NaN propagates through maximum and minimum", () => {
    const a = { shape: [4], data: Float32Array.from([NaN, 1, 2, NaN]) }
    const b = { shape: [4], data: Float32Array.from([0, NaN, 3, NaN]) }
    sameOnBoth("maximum NaN", [a, b], tf.maximum)
    sameOnBoth("minimum NaN", [a, b], tf.minimum)
  })

  it("int32 arithmetic is handed to the cpu kernel and stays int32", () => {
    const ins: Input[] = [{ shape: [3], data: Int32Array.from([1, 2, 3]) }, { shape: [3], data: Int32Array.from([4, 5, 6]) }]
    sameOnBoth("int add", ins, tf.add)
    assert.equal(nativeCalls(ins, tf.add).get("Add"), 0)
  })
})

describe("unary kernels", { skip: skipNative }, () => {
  const ops: Array<[string, (x: tf.Tensor) => tf.Tensor, boolean]> = [
    ["Exp", tf.exp, false],
    ["Log", tf.log, true],
    ["Sigmoid", tf.sigmoid, false],
    ["Tanh", tf.tanh, false],
    ["Erf", tf.erf, false],
    ["Sqrt", tf.sqrt, true],
    ["Rsqrt", tf.rsqrt, true],
    ["Square", tf.square, false],
    ["Neg", tf.neg, false],
    ["Relu", tf.relu, false],
    ["Abs", tf.abs, false],
    ["Reciprocal", tf.reciprocal, true],
  ]
  for (const [kernel, op, positive] of ops) {
    it(`${kernel}: small, large (threads), NaN; gradient`, () => {
      const mk = (n: number, seed: number): Input => ({
        shape: [n],
        data: values(n, seed, 4).map((v) => (positive ? Math.abs(v) + 0.05 : v)),
      })
      sameOnBoth(`${kernel} small`, [mk(37, 21)], op, { atol: 2e-6, rtol: 2e-6 })
      sameOnBoth(`${kernel} large`, [mk(70001, 22)], op, { atol: 2e-6, rtol: 2e-6 })
      sameOnBoth(`${kernel} NaN`, [{ shape: [3], data: Float32Array.from([NaN, 0.5, NaN]) }], op)
      if (kernel !== "Relu" && kernel !== "Abs") sameOnBoth(`${kernel} grad`, [mk(50, 23)], weightedGrads(op), { atol: 1e-5, rtol: 1e-5 })
      assertNative(kernel, [mk(10, 24)], op)
    })
  }
  it("exp of large arguments overflows to Infinity like cpu", () => {
    sameOnBoth("exp overflow", [{ shape: [3], data: Float32Array.from([100, -100, 88]) }], tf.exp)
  })
})

describe("softmax", { skip: skipNative }, () => {
  it("last axis: odd, wide and large shapes, forward and gradient", () => {
    for (const shape of [[3, 7], [2, 5, 65], [1, 1], [600, 65]]) {
      const ins = [input(shape, 31, 5)]
      sameOnBoth(`softmax ${shape}`, ins, (x) => tf.softmax(x), { atol: 1e-6, rtol: 1e-5 })
      sameOnBoth(`softmax grad ${shape}`, ins, weightedGrads((x) => tf.softmax(x)), { atol: 1e-6, rtol: 1e-4 })
    }
    assertNative("Softmax", [input([3, 7], 1)], (x) => tf.softmax(x))
  })
  it("causal-mask rows (-1e9) give exact zeros", () => {
    const data = values(16, 32)
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) data[i * 4 + j] = -1e9
    sameOnBoth("masked softmax", [{ shape: [4, 4], data }], (x) => tf.softmax(x), { atol: 0, rtol: 1e-6 })
  })
})

describe("reductions", { skip: skipNative }, () => {
  const ops: Array<[string, (x: tf.Tensor, axis?: number | number[], keep?: boolean) => tf.Tensor]> = [
    ["Sum", tf.sum],
    ["Mean", tf.mean],
    ["Max", tf.max],
    ["Min", tf.min],
  ]
  const axesCases: Array<[number[], number | number[] | undefined, boolean]> = [
    [[3, 4, 5], -1, false],
    [[3, 4, 5], 0, false],
    [[3, 4, 5], 1, true],
    [[3, 4, 5], [0, 2], false],
    [[3, 4, 5], [0, 2], true],
    [[3, 4, 5], undefined, false],
    [[2, 3, 4, 5], [1, 3], false],
    [[70000], 0, false],
    [[4160, 128], 0, false],
    [[300, 257], 1, false],
  ]
  for (const [kernel, op] of ops) {
    it(`${kernel}: last, first, middle, scattered and all axes; keepDims; large`, () => {
      for (const [shape, axis, keep] of axesCases) {
        sameOnBoth(`${kernel} ${shape} axis ${axis} keep ${keep}`, [input(shape, 41)], (x) => op(x, axis, keep), { atol: 1e-4, rtol: 1e-5 })
      }
      sameOnBoth(`${kernel} grad`, [input([3, 4, 5], 42)], weightedGrads((x) => op(x, [0, 2], true)), { atol: 1e-5 })
      assertNative(kernel, [input([3, 4], 1)], (x) => op(x, -1))
    })
  }
  it("max propagates NaN", () => {
    sameOnBoth("max NaN", [{ shape: [2, 3], data: Float32Array.from([1, NaN, 2, 3, 4, 5]) }], (x) => tf.max(x, 1))
  })
})

describe("transpose", { skip: skipNative }, () => {
  const cases: Array<[number[], number[]]> = [
    [[7, 5], [1, 0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [0, 2, 1]],
    [[4, 9, 2, 8], [0, 2, 1, 3]],
    [[4, 2, 9, 8], [0, 2, 1, 3]],
    [[1, 5, 1, 3], [3, 2, 1, 0]],
    [[2, 3, 1, 4, 2], [4, 0, 3, 2, 1]],
    [[64, 65, 2, 64], [0, 2, 1, 3]],
    [[257, 300], [1, 0]],
  ]
  it("permutations with size-1 dims, head split/merge, large plane", () => {
    for (const [shape, perm] of cases) {
      sameOnBoth(`transpose ${shape} ${perm}`, [input(shape, 51)], (x) => tf.transpose(x, perm), { atol: 0, rtol: 0 })
    }
    sameOnBoth("transpose grad", [input([2, 3, 4], 52)], weightedGrads((x) => tf.transpose(x, [1, 2, 0])))
    assertNative("Transpose", [input([3, 4], 1)], (x) => tf.transpose(x))
  })
})

describe("slice, split and pad (class token, pooling, their gradients)", { skip: skipNative }, () => {
  it("non-contiguous slices: middle axis, last axis, rank 4; and gradients (pad)", () => {
    const cases: Array<[number[], number[], number[]]> = [
      [[4, 65, 8], [0, 0, 0], [4, 1, 8]],
      [[4, 65, 8], [0, 1, 0], [4, 64, -1]],
      [[5, 7], [1, 2], [3, 4]],
      [[2, 3, 4, 5], [1, 0, 2, 1], [1, 3, 2, 3]],
      [[300, 130], [0, 1], [300, 129]],
    ]
    for (const [shape, begin, size] of cases) {
      const f = (x: tf.Tensor) => tf.slice(x, begin, size)
      sameOnBoth(`slice ${shape} ${begin} ${size}`, [input(shape, 71)], f, { atol: 0, rtol: 0 })
      sameOnBoth(`slice grad ${shape}`, [input(shape, 72)], weightedGrads(f), { atol: 0, rtol: 0 })
    }
    assertNative("Slice", [input([4, 6, 3], 1)], (x) => tf.slice(x, [0, 1, 0], [4, 2, 3]))
    assertNative("PadV2", [input([4, 3], 1)], (x) => tf.pad(x, [[1, 0], [2, 3]], 0.5))
  })
  it("a contiguous slice stays with the cpu kernel (a view), still correct", () => {
    const ins = [input([6, 5], 73)]
    const f = (x: tf.Tensor) => tf.slice(x, [2, 0], [3, 5])
    sameOnBoth("contiguous slice", ins, f)
    assert.equal(nativeCalls(ins, f).get("Slice"), 0)
  })
  it("pad with a constant, and split (the gradient of concat)", () => {
    sameOnBoth("pad", [input([3, 4, 2], 74)], (x) => tf.pad(x, [[0, 1], [2, 0], [1, 1]], -2), { atol: 0, rtol: 0 })
    const split = (x: tf.Tensor) => tf.split(x, [1, 64], 1)
    sameOnBoth("split", [input([4, 65, 6], 75)], split, { atol: 0, rtol: 0 })
    sameOnBoth("split 3 parts", [input([3, 9, 2], 76)], (x) => tf.split(x, 3, 1), { atol: 0, rtol: 0 })
    const cat = (a: tf.Tensor, b: tf.Tensor) => tf.concat([a, b], 1)
    sameOnBoth("concat grad", [input([4, 1, 6], 77), input([4, 64, 6], 78)], weightedGrads(cat), { atol: 0, rtol: 0 })
    assertNative("SplitV", [input([4, 65, 6], 1)], split)
  })
})

describe("gather and unsorted segment sum (token embedding)", { skip: skipNative }, () => {
  it("gather rows by id and its gradient", () => {
    const table = input([11, 6], 61)
    const ids: Input = { shape: [3, 4], data: Int32Array.from([0, 3, 10, 3, 1, 1, 2, 9, 0, 5, 5, 7]) }
    const f = (t: tf.Tensor, i: tf.Tensor) => tf.gather(t, i)
    sameOnBoth("gather", [table, ids], f, { atol: 0, rtol: 0 })
    sameOnBoth("gather grad", [table, ids], (t, i) => tf.grad((u: tf.Tensor) => tf.sum(tf.mul(tf.gather(u, i), tf.tensor(values(72, 62), [3, 4, 6]))))(t))
    assertNative("GatherV2", [table, ids], f)
  })
  it("unsorted segment sum with repeated and unused segments", () => {
    const x = input([6, 5], 63)
    const seg: Input = { shape: [6], data: Int32Array.from([2, 0, 2, 4, 0, 2]) }
    const f = (a: tf.Tensor, s: tf.Tensor) => tf.unsortedSegmentSum(a, s as tf.Tensor1D, 6)
    sameOnBoth("segment sum", [x, seg], f)
    assertNative("UnsortedSegmentSum", [x, seg], f)
  })
  it("an out-of-range id raises the cpu kernel's error", () => {
    tf.setBackend("native")
    assert.throws(() => tf.gather(tf.ones([3, 2]), tf.tensor1d([0, 5], "int32")).dataSync(), /5/)
  })
})
