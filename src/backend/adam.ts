/**
 * The Adam update as one native loop over host memory (the addon's `adam`,
 * split across the pool's threads), for the optimiser of `src/methods`. It
 * updates the moment arrays in place and writes the new weights to a fresh
 * buffer: updating a variable's own buffer in place is not safe in tfjs's cpu
 * backends, where a contiguous slice of a tensor is a view of its buffer
 * under another data id, so a slice kept across a step would change silently.
 *
 * @since 0.1.0
 */
import { loadAddon } from "./internal/addon.js"
import { alloc } from "./internal/kernels.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AdamStep {
  /** learningRate / (1 - beta1^t) */
  readonly step: number
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  /** 1 - beta2^t */
  readonly c2: number
  readonly weightDecay: number
  readonly gradScale: number
}

/**
 * New weights after one Adam step from weights `w` and gradient `g`,
 * updating the moments `m` and `v` in place (all of `w`'s length); undefined
 * when the native addon is not loaded (the caller runs its own loop).
 *
 * @since 0.1.0
 * @category utils
 */
export const nativeAdamStep = (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, o: AdamStep): Float32Array | undefined => {
  const load = loadAddon()
  if (!load.ok) return undefined
  const out = alloc(w.length)
  load.addon.adam(w, g, m, v, out, o.step, o.beta1, o.beta2, o.epsilon, o.c2, o.weightDecay, o.gradScale)
  return out
}
