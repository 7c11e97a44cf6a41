/**
 * Gradients for the tfjs kernels that CLIP's forward pass and the methods'
 * losses use.
 *
 * Why this exists: the CommonJS build of `@tensorflow/tfjs-core` that Node
 * loads registers no gradients at all (only the `@tensorflow/tfjs` union
 * package does, from its own bundle), so `tf.variableGrads` fails with
 * "gradient function not found for Sum". This module registers our own
 * gradient for each kernel we need, written from the derivatives, once, in
 * tfjs's (global) gradient registry. Kernels that already have a gradient
 * (for example when the union package is loaded too) are left alone.
 *
 * Cases the CLIP graph never produces (a strided Conv2D whose stride is not
 * its kernel size, StridedSlice with masks) throw a clear error rather than
 * return a wrong gradient.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import { FUSED } from "./internal/fusedNames.js"

type T = tf.Tensor
type Grads = Record<string, () => T>
type GradFunc = (dy: T | T[], saved: T[], attrs: Record<string, unknown>) => Grads | Array<() => T>

/** Sum `g` down to `shape` over the axes that broadcasting expanded. */
const reduceTo = (g: T, shape: ReadonlyArray<number>): T => {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g
  const lead = g.rank - shape.length
  const axes: number[] = []
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i)
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i)
  }
  const summed = axes.length > 0 ? tf.sum(g, axes, true) : g
  return tf.reshape(summed, shape as number[])
}

const float = (x: T): T => (x.dtype === "float32" ? x : tf.cast(x, "float32"))
const one = (dy: T | T[]): T => (Array.isArray(dy) ? dy[0] : dy)
const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis)
const axesOf = (axis: unknown, rank: number): number[] => {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i)
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number]
  return list.map((a) => normAxis(a, rank))
}
/** Shape of `x` with the reduced `axes` kept as size 1. */
const keptShape = (x: T, axes: number[]): number[] => x.shape.map((d, i) => (axes.includes(i) ? 1 : d))

const unsupported = (kernel: string, what: string): never => {
  throw new Error(`gradient of ${kernel}: ${what} is not supported by clipcl's gradient pack`)
}

const matMulGrads = (dy: T, a: T, b: T, tA: boolean, tB: boolean): Grads => ({
  a: () =>
    reduceTo(
      !tA ? (!tB ? tf.matMul(dy, b, false, true) : tf.matMul(dy, b)) : (!tB ? tf.matMul(b, dy, false, true) : tf.matMul(b, dy, true, true)),
      a.shape,
    ),
  b: () =>
    reduceTo(
      !tB ? (!tA ? tf.matMul(a, dy, true, false) : tf.matMul(a, dy)) : (!tA ? tf.matMul(dy, a, true, false) : tf.matMul(dy, a, true, true)),
      b.shape,
    ),
})

const binary = (f: (dy: T, a: T, b: T, y?: T) => [T, T], saveOutput = false) => ({
  inputsToSave: ["a", "b"],
  outputsToSave: saveOutput ? [true] : undefined,
  gradFunc: ((dy, saved) => {
    const [a, b, y] = saved
    const d = one(dy)
    return {
      a: () => reduceTo(f(d, a, b, y)[0], a.shape),
      b: () => reduceTo(f(d, a, b, y)[1], b.shape),
    }
  }) as GradFunc,
})

const unaryIn = (f: (dy: T, x: T) => T) => ({
  inputsToSave: ["x"],
  gradFunc: ((dy, saved) => ({ x: () => f(one(dy), saved[0]) })) as GradFunc,
})
const unaryOut = (f: (dy: T, y: T) => T) => ({
  outputsToSave: [true],
  gradFunc: ((dy, saved) => ({ x: () => f(one(dy), saved[0]) })) as GradFunc,
})

const reduceMax = {
  inputsToSave: ["x"],
  outputsToSave: [true],
  gradFunc: ((dy, saved, attrs) => {
    const [x, y] = saved
    const axes = axesOf(attrs.reductionIndices ?? attrs.axis, x.rank)
    const shape = keptShape(x, axes)
    return { x: () => tf.mul(tf.reshape(one(dy), shape), tf.cast(tf.equal(x, tf.reshape(y, shape)), "float32")) }
  }) as GradFunc,
}

const configs: Record<string, { inputsToSave?: string[]; outputsToSave?: boolean[]; saveAllInputs?: boolean; gradFunc: GradFunc }> = {
  [tf.Add]: binary((dy) => [dy, dy]),
  [tf.Sub]: binary((dy) => [dy, tf.neg(dy)]),
  [tf.Multiply]: binary((dy, a, b) => [tf.mul(dy, float(b)), tf.mul(dy, float(a))]),
  [tf.RealDiv]: binary((dy, a, b) => [tf.div(dy, b), tf.neg(tf.div(tf.mul(dy, a), tf.square(b)))]),
  [tf.Maximum]: binary((dy, a, b) => [tf.mul(dy, tf.cast(tf.greaterEqual(a, b), "float32")), tf.mul(dy, tf.cast(tf.less(a, b), "float32"))]),
  [tf.Minimum]: binary((dy, a, b) => [tf.mul(dy, tf.cast(tf.lessEqual(a, b), "float32")), tf.mul(dy, tf.cast(tf.greater(a, b), "float32"))]),
  [tf.SquaredDifference]: binary((dy, a, b) => {
    const g = tf.mul(dy, tf.mul(tf.sub(a, b), 2))
    return [g, tf.neg(g)]
  }),
  [tf.Pow]: binary((dy, a, b, y) => [
    tf.mul(dy, tf.mul(float(b), tf.pow(a, tf.sub(float(b), 1)))),
    tf.mul(dy, tf.mul(y as T, tf.where(tf.greater(a, 0), tf.log(tf.maximum(a, 1e-30)), tf.zerosLike(a)))),
  ], true),
  [tf.Neg]: unaryIn((dy) => tf.neg(dy)),
  [tf.Identity]: unaryIn((dy) => dy),
  [tf.Cast]: unaryIn((dy, x) => (x.dtype === "float32" ? tf.cast(dy, "float32") : tf.zerosLike(x))),
  [tf.Exp]: unaryOut((dy, y) => tf.mul(dy, y)),
  [tf.Log]: unaryIn((dy, x) => tf.div(dy, float(x))),
  [tf.Sqrt]: unaryOut((dy, y) => tf.div(dy, tf.mul(y, 2))),
  [tf.Rsqrt]: unaryIn((dy, x) => tf.mul(dy, tf.mul(tf.pow(float(x), -1.5), -0.5))),
  [tf.Square]: unaryIn((dy, x) => tf.mul(dy, tf.mul(float(x), 2))),
  [tf.Abs]: unaryIn((dy, x) => tf.mul(dy, tf.sign(float(x)))),
  [tf.Reciprocal]: unaryIn((dy, x) => tf.neg(tf.div(dy, tf.square(x)))),
  [tf.Sigmoid]: unaryOut((dy, y) => tf.mul(dy, tf.mul(y, tf.sub(1, y)))),
  [tf.Tanh]: unaryOut((dy, y) => tf.mul(dy, tf.sub(1, tf.square(y)))),
  [tf.Relu]: unaryIn((dy, x) => tf.mul(dy, tf.cast(tf.greater(x, 0), "float32"))),
  [tf.Softplus]: unaryIn((dy, x) => tf.mul(dy, tf.sigmoid(x))),
  [tf.Erf]: unaryIn((dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI)))),
  [tf.ClipByValue]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number))
      return { x: () => tf.mul(one(dy), tf.cast(inside, "float32")) }
    }) as GradFunc,
  },
  [tf.ZerosLike]: unaryIn((_dy, x) => tf.zerosLike(x)),
  [tf.OnesLike]: unaryIn((_dy, x) => tf.zerosLike(x)),
  [tf.Reshape]: unaryIn((dy, x) => tf.reshape(dy, x.shape)),
  [tf.Transpose]: {
    gradFunc: ((dy, _saved, attrs) => {
      const perm = attrs.perm as number[]
      const inverse = new Array<number>(perm.length)
      perm.forEach((p, i) => (inverse[p] = i))
      return { x: () => tf.transpose(one(dy), inverse) }
    }) as GradFunc,
  },
  [tf.Sum]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const shape = keptShape(x, axesOf(attrs.axis, x.rank))
      return { x: () => tf.mul(tf.reshape(one(dy), shape), tf.onesLike(float(x))) }
    }) as GradFunc,
  },
  [tf.Mean]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const axes = axesOf(attrs.axis, x.rank)
      const count = axes.reduce((n, a) => n * x.shape[a], 1)
      const shape = keptShape(x, axes)
      return { x: () => tf.div(tf.mul(tf.reshape(one(dy), shape), tf.onesLike(float(x))), count) }
    }) as GradFunc,
  },
  [tf.Max]: reduceMax,
  [tf.Min]: reduceMax,
  [tf.Softmax]: {
    outputsToSave: [true],
    gradFunc: ((dy, saved, attrs) => {
      const y = saved[0]
      const d = one(dy)
      const dim = normAxis((attrs.dim as number | undefined) ?? -1, y.rank)
      // One native kernel where the backend has it (the native pack), else four ops.
      const backend = tf.getBackend()
      if (dim === y.rank - 1 && y.dtype === "float32" && d.dtype === "float32" && backend && tf.getKernel(FUSED.softmaxGrad, backend) !== undefined) {
        return { logits: () => tf.engine().runKernel(FUSED.softmaxGrad, { y, dy: d }) as T }
      }
      return { logits: () => tf.mul(y, tf.sub(d, tf.sum(tf.mul(d, y), dim, true))) }
    }) as GradFunc,
  },
  [tf.LogSoftmax]: {
    outputsToSave: [true],
    gradFunc: ((dy, saved, attrs) => {
      const y = saved[0]
      const d = one(dy)
      const axis = normAxis((attrs.axis as number | undefined) ?? -1, y.rank)
      return { logits: () => tf.sub(d, tf.mul(tf.exp(y), tf.sum(d, axis, true))) }
    }) as GradFunc,
  },
  [tf.BatchMatMul]: {
    inputsToSave: ["a", "b"],
    gradFunc: ((dy, saved, attrs) =>
      matMulGrads(one(dy), saved[0], saved[1], Boolean(attrs.transposeA), Boolean(attrs.transposeB))) as GradFunc,
  },
  [tf._FusedMatMul]: {
    inputsToSave: ["a", "b", "bias"],
    gradFunc: ((dy, saved, attrs) => {
      if (attrs.activation !== undefined && attrs.activation !== "linear") unsupported("_FusedMatMul", `activation '${String(attrs.activation)}'`)
      const [a, b, bias] = saved
      const grads = matMulGrads(one(dy), a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB))
      if (bias !== undefined) grads.bias = () => reduceTo(one(dy), bias.shape)
      return grads
    }) as GradFunc,
  },
  [tf.Concat]: {
    saveAllInputs: true,
    gradFunc: ((dy, saved, attrs) => {
      const d = one(dy)
      const axis = normAxis(attrs.axis as number, d.rank)
      const parts = tf.split(d, saved.map((s) => s.shape[axis]), axis)
      return parts.map((p) => () => p)
    }) as GradFunc,
  },
  [tf.Pack]: {
    saveAllInputs: true,
    gradFunc: ((dy, _saved, attrs) => tf.unstack(one(dy), attrs.axis as number).map((p) => () => p)) as GradFunc,
  },
  [tf.Unpack]: {
    gradFunc: ((dy, _saved, attrs) => ({ value: () => tf.stack(dy as T[], attrs.axis as number) })) as GradFunc,
  },
  [tf.SplitV]: {
    gradFunc: ((dy, _saved, attrs) => ({ x: () => tf.concat(dy as T[], attrs.axis as number) })) as GradFunc,
  },
  [tf.Slice]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const d = one(dy)
      const beginAttr = attrs.begin as number | number[]
      const begin = x.shape.map((_, i) => (Array.isArray(beginAttr) ? (beginAttr[i] ?? 0) : i === 0 ? beginAttr : 0))
      const paddings = x.shape.map((n, i) => [begin[i], n - begin[i] - d.shape[i]] as [number, number])
      return { x: () => tf.pad(d, paddings) }
    }) as GradFunc,
  },
  [tf.StridedSlice]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const strides = attrs.strides as number[]
      if (strides.some((s) => s !== 1) || attrs.ellipsisMask || attrs.newAxisMask) {
        unsupported("StridedSlice", "strides other than 1, ellipsis or new-axis masks")
      }
      const beginMask = attrs.beginMask as number
      const endMask = attrs.endMask as number
      const shrink = attrs.shrinkAxisMask as number
      const begin = x.shape.map((n, i) => {
        const b = (beginMask >> i) & 1 ? 0 : ((attrs.begin as number[])[i] ?? 0)
        return b < 0 ? b + n : Math.min(b, n)
      })
      const end = x.shape.map((n, i) => {
        if ((shrink >> i) & 1) return begin[i] + 1
        const e = (endMask >> i) & 1 ? n : ((attrs.end as number[])[i] ?? n)
        return e < 0 ? e + n : Math.min(e, n)
      })
      const sizes = begin.map((b, i) => Math.max(end[i] - b, 0))
      return { x: () => tf.pad(tf.reshape(one(dy), sizes), x.shape.map((n, i) => [begin[i], n - end[i]] as [number, number])) }
    }) as GradFunc,
  },
  [tf.GatherV2]: {
    inputsToSave: ["x", "indices"],
    gradFunc: ((dy, saved, attrs) => {
      const [x, indices] = saved
      if (((attrs.batchDims as number | undefined) ?? 0) !== 0) unsupported("GatherV2", "batchDims != 0")
      const axis = normAxis((attrs.axis as number | undefined) ?? 0, x.rank)
      return {
        x: () => {
          const d = one(dy)
          // Move the gathered axis block to the front, flatten the indices, segment-sum, move back.
          const idxRank = indices.rank
          const outerPerm = [
            ...Array.from({ length: idxRank }, (_, i) => axis + i),
            ...Array.from({ length: axis }, (_, i) => i),
            ...Array.from({ length: d.rank - axis - idxRank }, (_, i) => axis + idxRank + i),
          ]
          const moved = tf.transpose(d, outerPerm)
          const flat = tf.reshape(moved, [indices.size, ...moved.shape.slice(idxRank)])
          // scatterND sums duplicate indices; unsortedSegmentSum's CPU kernel loops over every segment (the whole vocabulary).
          const summed = tf.scatterND(tf.reshape(tf.cast(indices, "int32"), [indices.size, 1]), flat, [x.shape[axis], ...flat.shape.slice(1)])
          const back = [...Array.from({ length: axis }, (_, i) => i + 1), 0, ...Array.from({ length: x.rank - axis - 1 }, (_, i) => axis + 1 + i)]
          return tf.transpose(summed, back)
        },
        indices: () => tf.zerosLike(indices),
      }
    }) as GradFunc,
  },
  [tf.Tile]: {
    inputsToSave: ["x"],
    gradFunc: ((dy, saved, attrs) => {
      const x = saved[0]
      const reps = attrs.reps as number[]
      const split = x.shape.flatMap((n, i) => [reps[i], n])
      const axes = x.shape.map((_, i) => 2 * i)
      return { x: () => tf.sum(tf.reshape(one(dy), split), axes) }
    }) as GradFunc,
  },
  [tf.BroadcastTo]: {
    gradFunc: ((dy, _saved, attrs) => ({ x: () => reduceTo(one(dy), attrs.inputShape as number[]) })) as GradFunc,
  },
  [tf.AddN]: {
    saveAllInputs: true,
    gradFunc: ((dy, saved) => saved.map(() => () => one(dy).clone())) as GradFunc,
  },
  [tf.Select]: {
    inputsToSave: ["condition"],
    gradFunc: ((dy, saved) => {
      const c = tf.cast(saved[0], "float32")
      const d = one(dy)
      return { condition: () => tf.zerosLike(saved[0]), t: () => tf.mul(d, c), e: () => tf.mul(d, tf.sub(1, c)) }
    }) as GradFunc,
  },
  [tf.Conv2D]: {
    inputsToSave: ["x", "filter"],
    gradFunc: ((dy, saved, attrs) => {
      const [x, w] = saved
      const [kh, kw, ci, co] = w.shape
      const strides = typeof attrs.strides === "number" ? [attrs.strides, attrs.strides] : (attrs.strides as number[])
      const dil = attrs.dilations === undefined ? [1, 1] : typeof attrs.dilations === "number" ? [attrs.dilations, attrs.dilations] : (attrs.dilations as number[])
      if (attrs.dataFormat === "NCHW" || strides[0] !== kh || strides[1] !== kw || dil[0] !== 1 || dil[1] !== 1 || (attrs.pad !== "valid" && attrs.pad !== 0)) {
        unsupported("Conv2D", "anything but a valid, non-overlapping (stride = kernel) NHWC patch convolution")
      }
      const d = one(dy) as tf.Tensor4D
      const [n, oh, ow] = d.shape
      const rows = n * oh * ow
      const cropped = tf.slice(x, [0, 0, 0, 0], [n, oh * kh, ow * kw, ci])
      const patches = tf.reshape(tf.transpose(tf.reshape(cropped, [n, oh, kh, ow, kw, ci]), [0, 1, 3, 2, 4, 5]), [rows, kh * kw * ci])
      const dy2 = tf.reshape(d, [rows, co])
      return {
        filter: () => tf.reshape(tf.matMul(patches, dy2, true, false), [kh, kw, ci, co]),
        x: () => {
          const dp = tf.matMul(dy2, tf.reshape(w, [kh * kw * ci, co]), false, true)
          const img = tf.reshape(tf.transpose(tf.reshape(dp, [n, oh, ow, kh, kw, ci]), [0, 1, 3, 2, 4, 5]), [n, oh * kh, ow * kw, ci])
          return tf.pad(img, [[0, 0], [0, (x.shape[1] as number) - oh * kh], [0, (x.shape[2] as number) - ow * kw], [0, 0]])
        },
      }
    }) as GradFunc,
  },
}

let registered = false

/**
 * Register clipcl's gradients for every kernel above that has none yet.
 * Idempotent; run once when `src/backend/tf.ts` is loaded, so anything that
 * imports `tf` can differentiate.
 *
 * @since 0.1.0
 * @category utils
 */
export const registerGradients = (): void => {
  if (registered) return
  registered = true
  for (const [kernelName, config] of Object.entries(configs)) {
    if (tf.getGradient(kernelName) !== undefined && tf.getGradient(kernelName) !== null) continue
    tf.registerGradient({ kernelName, ...config } as unknown as tf.GradConfig)
  }
}

registerGradients()
