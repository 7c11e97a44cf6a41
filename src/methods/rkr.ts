/**
 * RKR (Singh et al., "Rectification-based Knowledge Retention for Continual
 * Learning", CVPR 2021), simplified for CLIP.
 *
 * Each session keeps the weights it starts from frozen as a base and learns,
 * for every linear weight matrix W0 ([out, in], Hugging Face layout), a
 * low-rank weight rectifier and per-output scaling factors:
 *
 *   W = (W0 + A B) * s,   A [out, r] (init 0), B [r, in] (init N(0, initStd)), s [out, 1] (init 1).
 *
 * Only A, B, s and the model's 1-D parameters (biases, layer norms, the
 * logit scale) are optimised; embeddings (and the patch convolution) are
 * frozen. Gradients reach A, B and s by the chain rule from the gradient
 * w.r.t. W:
 *   dA = (dW * s) B^T,  dB = A^T (dW * s),  ds = sum_in dW * (W0 + A B).
 *
 * Simplification (documented): RKR stores one rectifier set per task over a
 * single frozen base and needs the task id at test time; here each session's
 * rectifiers apply on top of the previous session's model and are merged into
 * its weights at the end, so one task-agnostic checkpoint results (the
 * per-session update is still low-rank plus a scaling).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import type { Method } from "./method.js"
import { RkrOptions as RkrSchema } from "./options.js"

/**
 * @since 0.1.0
 * @category models
 */
export type RkrOptions = OptionsOf<typeof RkrSchema>

/**
 * Whether RKR rectifies a parameter (linear weight matrices).
 *
 * @since 0.1.0
 * @category utils
 */
export const rectified = (name: string, v: tf.Variable): boolean => v.rank === 2 && !name.includes("embedding")

/**
 * The rectified weight `(W0 + A B) * s`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const rectify = (w0: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy("rectify", () => tf.mul(tf.add(w0, tf.matMul(a, b)), s) as tf.Tensor2D)

type Slot =
  | { readonly kind: "rectified"; readonly w: tf.Variable; readonly w0: tf.Tensor2D; readonly a: tf.Variable; readonly b: tf.Variable; readonly s: tf.Variable }
  | { readonly kind: "direct" | "frozen"; readonly w: tf.Variable }

/**
 * RKR as a method.
 *
 * @since 0.1.0
 * @category constructors
 */
export const rkr = (options: Partial<RkrOptions> = {}): Method => {
  const o = { ...defaultsOf(RkrSchema), ...options }
  return {
    name: "RKR",
    setup: (setup) => {
      const names = new Map<tf.Variable, string>([...setup.model.params].map(([n, v]) => [v, n]))
      let seed = Math.floor(setup.rng.next() * 2 ** 31)
      const plan = setup.variables.map((v): Slot => {
        const name = names.get(v) ?? v.name
        if (rectified(name, v)) {
          const [out, inp] = v.shape as [number, number]
          const r = Math.min(o.rank, out, inp)
          return {
            kind: "rectified",
            w: v,
            w0: tf.keep(tf.clone(v as tf.Tensor)) as tf.Tensor2D,
            // (variables survive tidy; their initial values do not)
            a: tf.tidy(() => tf.variable(tf.zeros([out, r]), true)),
            b: tf.tidy(() => tf.variable(tf.randomNormal([r, inp], 0, o.initStd, "float32", seed++), true)),
            s: tf.tidy(() => tf.variable(tf.ones([out, 1]), true)),
          }
        }
        return { kind: v.rank <= 1 && !name.includes("embedding") ? "direct" : "frozen", w: v }
      })
      const optimized = plan.flatMap((p) => (p.kind === "rectified" ? [p.a, p.b, p.s] : p.kind === "direct" ? [p.w] : []))
      const compose = () => {
        for (const p of plan) {
          if (p.kind === "rectified") tf.tidy(() => p.w.assign(rectify(p.w0, p.a as tf.Tensor2D, p.b as tf.Tensor2D, p.s as tf.Tensor2D)))
        }
      }
      return {
        reparameterize: {
          variables: optimized,
          beforeStep: compose,
          gradients: (grads) =>
            plan.flatMap((p, i) => {
              const g = grads[i]
              if (p.kind !== "rectified") return p.kind === "frozen" ? [] : [g === undefined ? undefined : tf.clone(g)]
              if (g === undefined) return [undefined, undefined, undefined]
              const { a, b, s, w0 } = p
              return tf.tidy(() => {
                const gs = tf.mul(g, s)
                return [tf.matMul(gs, b, false, true), tf.matMul(a, gs, true, false), tf.sum(tf.mul(g, tf.add(w0, tf.matMul(a, b))), 1, true)]
              })
            }),
        },
        finish: compose,
        dispose: () => {
          for (const p of plan) {
            if (p.kind !== "rectified") continue
            p.w0.dispose()
            p.a.dispose()
            p.b.dispose()
            p.s.dispose()
          }
        },
      }
    },
  }
}
