/**
 * Mean-IMM (incremental moment matching, Lee et al., NeurIPS 2017) for
 * sequential sessions: after session t, merge its model with the model of
 * the previous session, `theta = (1 - alpha) * theta_{t-1} + alpha * theta_t`
 * (alpha = 0.5 is the plain mean of the two). Applied after every session,
 * earlier sessions' weights decay geometrically in the merged model.
 *
 * @since 0.1.0
 */
import type { tf } from "../backend/tf.js"
import type { Method } from "./method.js"
import { disposeWeights, interpolateWeights, type Weights } from "./weights.js"

/**
 * The merged weights (new tensors).
 *
 * @since 0.1.0
 * @category combinators
 */
export const imm = (previous: Weights, current: Weights, alpha = 0.5): Map<string, tf.Tensor> =>
  interpolateWeights(previous, current, alpha, "IMM")

/**
 * IMM as a method: the session trains as plain fine-tuning, then `finish`
 * merges its model with the weights it started from.
 *
 * @since 0.1.0
 * @category constructors
 */
export const immMethod = (alpha: number): Method => ({
  name: "IMM",
  setup: (s) => {
    const start = s.model.getWeights()
    return {
      finish: () => {
        const current = s.model.getWeights()
        try {
          const merged = imm(start, current, alpha)
          s.model.setWeights(merged)
          disposeWeights(merged)
        } finally {
          disposeWeights(current)
        }
      },
      dispose: () => disposeWeights(start)
    }
  }
})
