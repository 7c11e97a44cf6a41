/**
 * Adam (Kingma & Ba), written out so the learning rate can change between
 * steps (step decay) without losing the moment estimates, and so that
 * gradient clipping and projections (GEM) happen before the update.
 * Weight decay, when set, is PyTorch `Adam`'s: added to the gradient (L2),
 * not decoupled.
 *
 * @since 0.1.0
 */
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
  /** Apply one update with gradients aligned to the variables (a missing gradient skips its variable). */
  apply(grads: ReadonlyArray<tf.Tensor | undefined>, learningRate: number): void
  readonly steps: number
  dispose(): void
}

/**
 * An Adam optimiser over `variables`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeAdam = (variables: ReadonlyArray<tf.Variable>, options: AdamOptions): Adam => {
  const m: tf.Tensor[] = variables.map((v) => tf.keep(tf.zerosLike(v as tf.Tensor)))
  const s: tf.Tensor[] = variables.map((v) => tf.keep(tf.zerosLike(v as tf.Tensor)))
  let t = 0
  return {
    get steps() {
      return t
    },
    apply: (grads, learningRate) => {
      t += 1
      const { beta1, beta2, epsilon, weightDecay } = options
      const c1 = 1 - Math.pow(beta1, t)
      const c2 = 1 - Math.pow(beta2, t)
      variables.forEach((v, i) => {
        const g0 = grads[i]
        if (g0 === undefined) return
        const [m1, s1] = tf.tidy("adam", () => {
          const g = weightDecay > 0 ? tf.add(g0, tf.mul(v, weightDecay)) : g0
          const mNew = tf.add(tf.mul(m[i], beta1), tf.mul(g, 1 - beta1))
          const sNew = tf.add(tf.mul(s[i], beta2), tf.mul(tf.square(g), 1 - beta2))
          const step = tf.div(tf.mul(mNew, learningRate / c1), tf.add(tf.sqrt(tf.div(sNew, c2)), epsilon))
          v.assign(tf.sub(v, step))
          return [mNew, sNew]
        })
        m[i].dispose()
        s[i].dispose()
        m[i] = m1
        s[i] = s1
      })
    },
    dispose: () => {
      m.forEach((x) => x.dispose())
      s.forEach((x) => x.dispose())
    },
  }
}
