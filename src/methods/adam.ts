/**
 * Adam (Kingma & Ba), written out so the learning rate can change between
 * steps (step decay) without losing the moment estimates, and so that
 * gradient clipping and projections (GEM) happen before the update.
 * Weight decay, when set, is PyTorch `Adam`'s: added to the gradient (L2),
 * not decoupled.
 *
 * @since 0.1.0
 */
import { nativeAdamStep } from "../backend/adam.js"
import { tf } from "../backend/tf.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AdamOptions {
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Adam {
  /**
   * Apply one update with gradients aligned to the variables (a missing
   * gradient skips its variable); each gradient is multiplied by `gradScale`
   * first (global-norm clipping).
   */
  apply(grads: ReadonlyArray<tf.Tensor | undefined>, learningRate: number, gradScale?: number): void
  readonly steps: number
  dispose(): void
}

/**
 * An Adam optimiser over `variables`. The update runs as one fused loop per
 * variable over host memory (moments kept as Float32Arrays): on the CPU
 * backends ten separate tensor ops per variable cost as much as the forward
 * and backward passes together, dominated by the 49408-row token embedding.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeAdam = (variables: ReadonlyArray<tf.Variable>, options: AdamOptions): Adam => {
  const m = variables.map((v) => new Float32Array(v.size))
  const s = variables.map((v) => new Float32Array(v.size))
  let t = 0
  return {
    get steps() {
      return t
    },
    apply: (grads, learningRate, gradScale = 1) => {
      t += 1
      const { beta1, beta2, epsilon, weightDecay } = options
      const c1 = 1 - Math.pow(beta1, t)
      const c2 = 1 - Math.pow(beta2, t)
      const step = learningRate / c1
      variables.forEach((v, i) => {
        const grad = grads[i]
        if (grad === undefined) return
        const g = grad.dataSync() as Float32Array
        const w = v.dataSync() as Float32Array
        const mi = m[i]
        const si = s[i]
        // The native addon's loop where it is built; the same formula below otherwise.
        const native = g instanceof Float32Array && w instanceof Float32Array && g.length === w.length
          ? nativeAdamStep(w, g, mi, si, { step, beta1, beta2, epsilon, c2, weightDecay, gradScale })
          : undefined
        const out = native ?? new Float32Array(w.length)
        for (let j = 0; native === undefined && j < w.length; j++) {
          const gj = g[j] * gradScale + weightDecay * w[j]
          const mj = beta1 * mi[j] + (1 - beta1) * gj
          const sj = beta2 * si[j] + (1 - beta2) * gj * gj
          mi[j] = mj
          si[j] = sj
          out[j] = w[j] - (step * mj) / (Math.sqrt(sj / c2) + epsilon)
        }
        tf.tidy("adam", () => v.assign(tf.tensor(out, v.shape, "float32")))
      })
    },
    dispose: () => {},
  }
}
