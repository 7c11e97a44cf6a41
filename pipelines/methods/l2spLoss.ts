/**
 * L2-SP's penalty and its session hooks (see `l2sp.ts`).
 */
import { tf, type Methods } from "clipcl"

/**
 * `alpha/2 * sum_i ||w_i - w0_i||^2` over the tuned tensors `weights` and
 * their anchors `anchors` (same order and shapes); its gradient with respect
 * to `w_i` is `alpha * (w_i - w0_i)`.
 */
export const l2spPenalty = (weights: ReadonlyArray<tf.Tensor>, anchors: ReadonlyArray<tf.Tensor>, alpha: number): tf.Scalar =>
  tf.tidy(() => tf.mul(alpha / 2, tf.addN(weights.map((w, i) => tf.sum(tf.square(tf.sub(w, anchors[i]!)))))))

/** L2-SP as a method: the anchors are the initial model's values of the tuned variables. */
export const l2sp = (alpha: number): Methods.Method => ({
  name: "L2-SP",
  setup: (s) => {
    const initial = s.initial
    if (initial === undefined) throw new Error("L2-SP needs the initial model (its needs: { initial: true })")
    const nameOf = new Map([...s.model.params].map(([name, v]) => [v, name] as const))
    const anchors = s.variables.map((v) => {
      const w0 = initial.params.get(nameOf.get(v) ?? "")
      if (w0 === undefined) throw new Error(`L2-SP: the initial model has no parameter ${nameOf.get(v)}`)
      return w0
    })
    return {
      extraLoss: () => {
        const loss = l2spPenalty(s.variables, anchors, alpha)
        return { loss, metrics: { l2sp: loss } }
      },
      dispose: () => {}
    }
  }
})
