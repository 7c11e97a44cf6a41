/**
 * The native kernel implementations, one tfjs `KernelFunc` each. A kernel
 * runs natively on float32 inputs in the shapes it supports and hands
 * anything else (int32, complex, batch broadcasting it cannot express,
 * activations it does not fuse) to the cpu backend's own kernel, so results
 * and error messages stay tfjs's. Outputs are fresh Float32Arrays owned by
 * the backend; inputs are read in place from `backend.data`.
 */
import type { MathBackendCPU } from "../tf.js"
import { tf } from "../tf.js"
import type { NativeAddon } from "./addon.js"
import { NativeKernelError } from "../errors.js"
import { FUSED } from "./fusedNames.js"
import { broadcastMeta, broadcastShape, transposeMeta } from "./layout.js"

type Info = tf.TensorInfo
type Args = Parameters<tf.KernelFunc>[0]
type Make = (addon: NativeAddon, fallback: tf.KernelFunc) => tf.KernelFunc

const BINARY = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3, Maximum: 4, Minimum: 5, SquaredDifference: 6 } as const
const UNARY = {
  Exp: 0, Log: 1, Sigmoid: 2, Tanh: 3, Erf: 4, Sqrt: 5, Rsqrt: 6, Square: 7, Neg: 8, Relu: 9, Abs: 10, Reciprocal: 11,
} as const
/** The addon's activation op codes (after the unary ones). */
const ACTIVATION_OP: Readonly<Record<string, number>> = { quick_gelu: 12, gelu: 13 }
const REDUCE = { Sum: 0, Mean: 1, Max: 2, Min: 3 } as const

const sizeOf = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * An output buffer the kernel overwrites completely: large ones skip V8's
 * zero-fill (Node's unsafe Buffer allocation), a quarter of an element-wise
 * op's memory traffic.
 */
export const alloc = (n: number): Float32Array =>
  n < 4096 ? new Float32Array(n) : new Float32Array(Buffer.allocUnsafeSlow(n * 4).buffer, 0, n)

const stridesOf = (shape: ReadonlyArray<number>): number[] => {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]
  }
  return s
}

/** The input's float32 values in place, or undefined when it is not float32. */
export const f32 = (cpu: MathBackendCPU, t: Info | undefined): Float32Array | undefined => {
  if (t === undefined || t.dtype !== "float32") return undefined
  const v = cpu.data.get(t.dataId)?.values
  return v instanceof Float32Array ? v : undefined
}

const i32 = (cpu: MathBackendCPU, t: Info | undefined): Int32Array | undefined => {
  if (t === undefined || t.dtype !== "int32") return undefined
  const v = cpu.data.get(t.dataId)?.values
  return v instanceof Int32Array ? v : undefined
}

const binary = (op: number): Make => (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { a, b } = args.inputs
  const av = f32(cpu, a)
  const bv = f32(cpu, b)
  if (av === undefined || bv === undefined) return fallback(args)
  const outShape = broadcastShape(a!.shape, b!.shape)
  if (outShape === undefined) return fallback(args)
  const out = alloc(sizeOf(outShape))
  if (out.length > 0) addon.binary(op, av, bv, out, broadcastMeta(a!.shape, b!.shape, outShape))
  return cpu.makeTensorInfo(outShape, "float32", out)
}

const unary = (op: number): Make => (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  if (xv === undefined) return fallback(args)
  const out = alloc(xv.length)
  addon.unary(op, xv, out)
  return cpu.makeTensorInfo(x!.shape, "float32", out)
}

const softmax: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const logits = args.inputs.logits
  const xv = f32(cpu, logits)
  const rank = logits?.shape.length ?? 0
  const dim = args.attrs?.dim as number | undefined
  if (xv === undefined || rank === 0 || (dim !== -1 && dim !== rank - 1)) return fallback(args)
  const cols = logits!.shape[rank - 1]
  const out = alloc(xv.length)
  if (cols > 0) addon.softmax(xv, out, xv.length / cols, cols)
  return cpu.makeTensorInfo(logits!.shape, "float32", out)
}

const reduce = (op: number, axisAttr: string): Make => (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  if (xv === undefined) return fallback(args)
  const shape = x!.shape
  const axes = [...new Set(tf.util.parseAxisParam(args.attrs?.[axisAttr] as number | number[], shape))].sort((p, q) => p - q)
  if (axes.length === 0) return fallback(args)
  const reduced = new Set(axes)
  const keepDims = args.attrs?.keepDims === true
  const outShape = keepDims ? shape.map((d, i) => (reduced.has(i) ? 1 : d)) : shape.filter((_, i) => !reduced.has(i))
  const kept = shape.filter((_, i) => !reduced.has(i))
  const mid = sizeOf(axes.map((i) => shape[i]))
  const out = alloc(sizeOf(kept))
  if (out.length === 0) return cpu.makeTensorInfo(outShape, "float32", out)
  if (axes[axes.length - 1] - axes[0] + 1 === axes.length) {
    const outer = sizeOf(shape.slice(0, axes[0]))
    const inner = sizeOf(shape.slice(axes[axes.length - 1] + 1))
    addon.reduce(op, xv, out, outer, mid, inner)
  } else {
    // Reduced axes scattered: move them last with one native transpose.
    const perm = [...shape.keys()].filter((i) => !reduced.has(i)).concat(axes)
    const moved = alloc(xv.length)
    addon.transpose(xv, moved, transposeMeta(shape, perm))
    addon.reduce(op, moved, out, out.length, mid, 1)
  }
  return cpu.makeTensorInfo(outShape, "float32", out)
}

const transpose: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  const perm = args.attrs?.perm as number[] | undefined
  if (xv === undefined || perm === undefined || perm.length !== x!.shape.length) return fallback(args)
  const out = alloc(xv.length)
  if (out.length > 0) addon.transpose(xv, out, transposeMeta(x!.shape, perm))
  return cpu.makeTensorInfo(perm.map((d) => x!.shape[d]), "float32", out)
}

/** The matrix product (no fused epilogue), or undefined when it must fall back. */
const matmul = (addon: NativeAddon, args: Args): { shape: number[]; out: Float32Array } | undefined => {
  const cpu = args.backend as MathBackendCPU
  const { a, b } = args.inputs
  const av = f32(cpu, a)
  const bv = f32(cpu, b)
  if (av === undefined || bv === undefined) return undefined
  const ta = args.attrs?.transposeA === true
  const tb = args.attrs?.transposeB === true
  const as = a!.shape
  const bs = b!.shape
  if (as.length < 2 || bs.length < 2) return undefined
  const m = ta ? as[as.length - 1] : as[as.length - 2]
  const k = ta ? as[as.length - 2] : as[as.length - 1]
  const kb = tb ? bs[bs.length - 1] : bs[bs.length - 2]
  const n = tb ? bs[bs.length - 2] : bs[bs.length - 1]
  if (k !== kb) return undefined
  const outBatch = broadcastShape(as.slice(0, -2), bs.slice(0, -2))
  if (outBatch === undefined) return undefined
  const batch = sizeOf(outBatch)
  const batchA = sizeOf(as.slice(0, -2))
  const batchB = sizeOf(bs.slice(0, -2))
  // Equal sizes mean equal batch shapes (each dim of the broadcast is >= the operand's).
  const strideA = batchA === batch ? m * k : batchA === 1 ? 0 : -1
  const strideB = batchB === batch ? k * n : batchB === 1 ? 0 : -1
  if (strideA < 0 || strideB < 0) return undefined
  const out = alloc(batch * m * n)
  addon.gemm(av, bv, out, batch, m, n, k, ta, tb, strideA, strideB)
  return { shape: [...outBatch, m, n], out }
}

const batchMatMul: Make = (addon, fallback) => (args) => {
  const r = matmul(addon, args)
  if (r === undefined) return fallback(args)
  return (args.backend as MathBackendCPU).makeTensorInfo(r.shape, "float32", r.out)
}

const ACTIVATION: Readonly<Record<string, number | null>> = { linear: null, relu: UNARY.Relu, sigmoid: UNARY.Sigmoid }

/** matmul + bias + activation in one kernel: bias and activation run in place on the product. */
const fusedMatMul: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { bias, preluActivationWeights } = args.inputs
  const activation = (args.attrs?.activation as string | undefined) ?? "linear"
  if (!(activation in ACTIVATION) || preluActivationWeights !== undefined) return fallback(args)
  const biasValues = bias === undefined ? undefined : f32(cpu, bias)
  if (bias !== undefined && biasValues === undefined) return fallback(args)
  const r = matmul(addon, args)
  if (r === undefined) return fallback(args)
  if (bias !== undefined && biasValues !== undefined) {
    const shape = broadcastShape(r.shape, bias.shape)
    if (shape === undefined || shape.length !== r.shape.length || shape.some((d, i) => d !== r.shape[i])) return fallback(args)
    if (r.out.length > 0) addon.binary(BINARY.Add, r.out, biasValues, r.out, broadcastMeta(r.shape, bias.shape, r.shape))
  }
  const act = ACTIVATION[activation]
  if (act !== null && act !== undefined) addon.unary(act, r.out, r.out)
  return cpu.makeTensorInfo(r.shape, "float32", r.out)
}

const gather: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { x, indices } = args.inputs
  const xv = f32(cpu, x)
  const ids = i32(cpu, indices)
  if (xv === undefined || ids === undefined || x!.shape.length === 0) return fallback(args)
  const axis = tf.util.parseAxisParam((args.attrs?.axis as number | undefined) ?? 0, x!.shape)[0]
  if (axis !== 0 || ((args.attrs?.batchDims as number | undefined) ?? 0) !== 0) return fallback(args)
  const rows = x!.shape[0]
  // Out-of-range ids: let the cpu kernel raise tfjs's own error.
  for (let i = 0; i < ids.length; i++) if (ids[i] < 0 || ids[i] >= rows) return fallback(args)
  const width = sizeOf(x!.shape.slice(1))
  const out = alloc(ids.length * width)
  addon.gatherRows(xv, rows, width, ids, out)
  return cpu.makeTensorInfo([...indices!.shape, ...x!.shape.slice(1)], "float32", out)
}

const segmentSum: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { x, segmentIds } = args.inputs
  const xv = f32(cpu, x)
  const ids = i32(cpu, segmentIds)
  const segments = args.attrs?.numSegments as number | undefined
  if (xv === undefined || ids === undefined || segments === undefined) return fallback(args)
  const lead = segmentIds!.shape
  if (lead.length > x!.shape.length || lead.some((d, i) => d !== x!.shape[i])) return fallback(args)
  const rest = x!.shape.slice(lead.length)
  const width = sizeOf(rest)
  const out = new Float32Array(segments * width)
  addon.segmentSum(xv, width, ids, segments, out)
  return cpu.makeTensorInfo([segments, ...rest], "float32", out)
}

/** A non-contiguous slice as one strided copy; undefined where the cpu kernel is as good (a contiguous slice is a view there). */
const sliceValues = (addon: NativeAddon, x: Info, xv: Float32Array, begin: number[], size: number[]): Float32Array | undefined => {
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return undefined
  const src = stridesOf(x.shape)
  const out = alloc(sizeOf(size))
  if (out.length === 0) return out
  const offset = begin.reduce((acc, b, i) => acc + b * src[i], 0)
  addon.copyBlock(xv, out, Int32Array.from([size.length, ...size, ...src, ...stridesOf(size), offset, 0]))
  return out
}

const slice: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  if (xv === undefined) return fallback(args)
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.TensorInfo as tf.Tensor, args.attrs?.begin as number[], args.attrs?.size as number[])
  tf.slice_util.assertParamsValid(x as tf.TensorInfo as tf.Tensor, begin, size)
  const out = sliceValues(addon, x!, xv, begin, size)
  return out === undefined ? fallback(args) : cpu.makeTensorInfo(size, "float32", out)
}

/** Split = one slice per part (the gradient of concat: the class token). */
const splitV: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  if (xv === undefined) return fallback(args)
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, x!.shape)[0]
  const sizes = tf.backend_util.prepareSplitSize(x as tf.TensorInfo as tf.Tensor, args.attrs?.numOrSizeSplits as number[] | number, axis)
  const begin = new Array<number>(x!.shape.length).fill(0)
  if (sizes.length < 2 || tf.slice_util.isSliceContinous(x!.shape, begin, x!.shape.map((d, i) => (i === axis ? sizes[0] : d)))) return fallback(args)
  return sizes.map((s) => {
    const size = x!.shape.map((d, i) => (i === axis ? s : d))
    const out = sliceValues(addon, x!, xv, [...begin], size) ?? alloc(0)
    begin[axis] += s
    return cpu.makeTensorInfo(size, "float32", out)
  })
}

/** Constant padding (the gradient of slice): fill, then one strided copy. */
const padV2: Make = (addon, fallback) => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = f32(cpu, x)
  const paddings = args.attrs?.paddings as Array<[number, number]> | undefined
  if (xv === undefined || paddings === undefined || paddings.length !== x!.shape.length || paddings.some((p) => p[0] < 0 || p[1] < 0)) return fallback(args)
  const outShape = paddings.map((p, i) => p[0] + x!.shape[i] + p[1])
  const value = (args.attrs?.constantValue as number | undefined) ?? 0
  const out = new Float32Array(sizeOf(outShape))
  if (value !== 0) out.fill(value)
  if (xv.length > 0) {
    const dst = stridesOf(outShape)
    const offset = paddings.reduce((acc, p, i) => acc + p[0] * dst[i], 0)
    addon.copyBlock(xv, out, Int32Array.from([x!.shape.length, ...x!.shape, ...stridesOf(x!.shape), ...dst, 0, offset]))
  }
  return cpu.makeTensorInfo(outShape, "float32", out)
}

/** Inputs the fused kernels cannot take (not float32): a bug, since the ops check before dispatching. */
const need = (v: Float32Array | undefined, kernel: string, input: string): Float32Array => {
  if (v === undefined) throw new NativeKernelError({ kernel, reason: `input '${input}' must be a float32 tensor` })
  return v
}

const layerNormKernel = (addon: NativeAddon): tf.KernelFunc => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { x, gamma, beta } = args.inputs
  const xv = need(f32(cpu, x), FUSED.layerNorm, "x")
  const cols = x!.shape[x!.shape.length - 1]
  const out = alloc(xv.length)
  if (xv.length > 0) {
    addon.layerNorm(xv, need(f32(cpu, gamma), FUSED.layerNorm, "gamma"), need(f32(cpu, beta), FUSED.layerNorm, "beta"), out, xv.length / cols, cols, args.attrs?.eps as number)
  }
  return cpu.makeTensorInfo(x!.shape, "float32", out)
}

const layerNormGradKernel = (addon: NativeAddon): tf.KernelFunc => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { dy, x, gamma } = args.inputs
  const xv = need(f32(cpu, x), FUSED.layerNormGrad, "x")
  const cols = x!.shape[x!.shape.length - 1]
  const dx = alloc(xv.length)
  const dgamma = new Float32Array(cols)
  const dbeta = new Float32Array(cols)
  if (xv.length > 0) {
    addon.layerNormGrad(need(f32(cpu, dy), FUSED.layerNormGrad, "dy"), xv, need(f32(cpu, gamma), FUSED.layerNormGrad, "gamma"), dx, dgamma, dbeta, xv.length / cols, cols, args.attrs?.eps as number)
  }
  return [cpu.makeTensorInfo(x!.shape, "float32", dx), cpu.makeTensorInfo([cols], "float32", dgamma), cpu.makeTensorInfo([cols], "float32", dbeta)]
}

const activationOp = (args: Args): number => {
  const op = ACTIVATION_OP[args.attrs?.kind as string]
  if (op === undefined) throw new NativeKernelError({ kernel: FUSED.activation, reason: `unknown activation '${String(args.attrs?.kind)}'` })
  return op
}

const activationKernel = (addon: NativeAddon): tf.KernelFunc => (args) => {
  const cpu = args.backend as MathBackendCPU
  const x = args.inputs.x
  const xv = need(f32(cpu, x), FUSED.activation, "x")
  const out = alloc(xv.length)
  addon.unary(activationOp(args), xv, out)
  return cpu.makeTensorInfo(x!.shape, "float32", out)
}

const activationGradKernel = (addon: NativeAddon): tf.KernelFunc => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { dy, x } = args.inputs
  const xv = need(f32(cpu, x), FUSED.activationGrad, "x")
  const out = alloc(xv.length)
  addon.activationGrad(activationOp(args), need(f32(cpu, dy), FUSED.activationGrad, "dy"), xv, out)
  return cpu.makeTensorInfo(x!.shape, "float32", out)
}

const softmaxGradKernel = (addon: NativeAddon): tf.KernelFunc => (args) => {
  const cpu = args.backend as MathBackendCPU
  const { y, dy } = args.inputs
  const yv = need(f32(cpu, y), FUSED.softmaxGrad, "y")
  const cols = y!.shape[y!.shape.length - 1]
  const out = alloc(yv.length)
  if (yv.length > 0) addon.softmaxGrad(yv, need(f32(cpu, dy), FUSED.softmaxGrad, "dy"), out, yv.length / cols, cols)
  return cpu.makeTensorInfo(y!.shape, "float32", out)
}

/** The fused kernels, by kernel name: no cpu counterpart, no fallback. */
export const fusedKernels: Readonly<Record<string, (addon: NativeAddon) => tf.KernelFunc>> = {
  [FUSED.layerNorm]: layerNormKernel,
  [FUSED.layerNormGrad]: layerNormGradKernel,
  [FUSED.activation]: activationKernel,
  [FUSED.activationGrad]: activationGradKernel,
  [FUSED.softmaxGrad]: softmaxGradKernel,
}

/** Every kernel the pack replaces, by tfjs kernel name. */
export const nativeKernels: Readonly<Record<string, Make>> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  ...Object.fromEntries(Object.entries(BINARY).map(([name, op]) => [name, binary(op)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([name, op]) => [name, unary(op)])),
  Softmax: softmax,
  Sum: reduce(REDUCE.Sum, "axis"),
  Mean: reduce(REDUCE.Mean, "axis"),
  Max: reduce(REDUCE.Max, "reductionIndices"),
  Min: reduce(REDUCE.Min, "axis"),
  Transpose: transpose,
  Slice: slice,
  SplitV: splitV,
  PadV2: padV2,
  GatherV2: gather,
  UnsortedSegmentSum: segmentSum,
}

