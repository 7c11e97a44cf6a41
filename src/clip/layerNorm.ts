/**
 * Layer normalisation over the last axis, as PyTorch's `nn.LayerNorm`
 * (biased variance, eps inside the square root). One fused kernel with its
 * own gradient on the native backend; elsewhere written with elementary ops
 * so the gradient is tfjs's own and every backend runs it.
 *
 * @since 0.1.0
 */
import { fusedLayerNorm } from "../backend/fused.js"
import { tf } from "../backend/tf.js"

/**
 * `(x - mean) / sqrt(var + eps) * gamma + beta` over the last axis.
 *
 * @since 0.1.0
 * @category combinators
 */
export const layerNorm = <T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): T => {
  const fused = fusedLayerNorm(x, gamma, beta, eps)
  if (fused !== undefined) return fused
  const axis = x.rank - 1
  const mean = tf.mean(x, axis, true)
  const centred = tf.sub(x, mean)
  const variance = tf.mean(tf.square(centred), axis, true)
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gamma), beta) as T
}
