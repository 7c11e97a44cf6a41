/**
 * Fused operations with their own gradients, for the parts of a transformer
 * step that are many small element-wise passes when written with tfjs ops:
 * layer norm (9 kernels forward, about 20 backward, each a pass over the
 * activations) and the MLP's QuickGELU / GELU. On the native backend each is
 * one kernel forward and one backward; elsewhere these functions return
 * `undefined` and the caller runs its composite form (`src/clip`), so every
 * backend computes the same function.
 *
 * The softmax gradient is fused the same way, inside the gradient pack
 * (`gradients.ts`).
 *
 * @since 0.1.0
 */
import { FUSED } from "./internal/fusedNames.js"
import { tf } from "./tf.js"

/** True when the active backend has the fused kernel. */
const available = (kernel: string): boolean => {
  const backend = tf.getBackend()
  return backend !== undefined && backend !== null && tf.getKernel(kernel, backend) !== undefined
}

const isVector = (t: tf.Tensor, n: number): boolean => t.rank === 1 && t.shape[0] === n && t.dtype === "float32"

/**
 * `(x - mean) / sqrt(var + eps) * gamma + beta` over the last axis (biased
 * variance), as one kernel; `undefined` where the backend has no fused kernel
 * or the shapes are not `[..., n]`, `[n]`, `[n]`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const fusedLayerNorm = <T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T | undefined => {
  if (x.dtype !== "float32" || x.rank < 1 || !available(FUSED.layerNorm)) return undefined
  const cols = x.shape[x.rank - 1]
  if (cols === 0 || !isVector(gamma, cols) || !isVector(beta, cols)) return undefined
  return tf.engine().runKernel(FUSED.layerNorm, { x, gamma, beta }, { eps }) as T
}

/**
 * The MLP activation (`quick_gelu`: `x * sigmoid(1.702 x)`; `gelu`: exact,
 * via erf) as one kernel; `undefined` where the backend has no fused kernel.
 *
 * @since 0.1.0
 * @category combinators
 */
export const fusedActivation = <T extends tf.Tensor>(x: T, kind: "quick_gelu" | "gelu"): T | undefined => {
  if (x.dtype !== "float32" || !available(FUSED.activation)) return undefined
  return tf.engine().runKernel(FUSED.activation, { x }, { kind }) as T
}

type GradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: Record<string, unknown>) => Record<string, () => tf.Tensor>

const one = (dy: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(dy) ? dy[0] : dy)

const gradients: Array<{ kernelName: string; inputsToSave: string[]; gradFunc: GradFunc }> = [
  {
    kernelName: FUSED.layerNorm,
    inputsToSave: ["x", "gamma"],
    gradFunc: (dy, saved, attrs) => {
      const [x, gamma] = saved
      // One backward kernel gives all three (mean and 1/std are recomputed: one pass over x).
      const [dx, dgamma, dbeta] = tf.engine().runKernel(FUSED.layerNormGrad, { dy: one(dy), x, gamma }, { eps: attrs.eps as number }) as tf.Tensor[]
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta }
    },
  },
  {
    kernelName: FUSED.activation,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => ({
      x: () => tf.engine().runKernel(FUSED.activationGrad, { dy: one(dy), x: saved[0] }, { kind: attrs.kind as string }) as tf.Tensor,
    }),
  },
]

for (const g of gradients) {
  if (tf.getGradient(g.kernelName) === undefined) tf.registerGradient(g as unknown as tf.GradConfig)
}
