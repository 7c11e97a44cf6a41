/**
 * Multi-head scaled dot-product self-attention with separate q / k / v
 * projections (the Hugging Face layout; OpenAI's fused `in_proj_weight` is
 * split when loading). An additive mask (0 or a large negative number) makes
 * the text tower causal.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { linear } from "./linear.js"

/**
 * Looks up a parameter by its full Hugging Face name.
 *
 * @since 0.1.0
 * @category models
 */
export type ParamLookup = (name: string) => tf.Tensor

/**
 * Self-attention of `x` ([batch, length, width]) with the projections found
 * under `prefix` (e.g. `text_model.encoder.layers.0.self_attn.`).
 * `mask`, if given, is [length, length] and added to the scores.
 *
 * @since 0.1.0
 * @category combinators
 */
export const selfAttention = (
  x: tf.Tensor3D,
  p: ParamLookup,
  prefix: string,
  heads: number,
  mask?: tf.Tensor2D
): tf.Tensor3D => {
  const [b, l, d] = x.shape
  const hd = d / heads
  const split = (t: tf.Tensor): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(t, [b, l, heads, hd]), [0, 2, 1, 3]), [b * heads, l, hd])
  const proj = (n: string): tf.Tensor =>
    linear(x, p(`${prefix}${n}.weight`) as tf.Tensor2D, p(`${prefix}${n}.bias`) as tf.Tensor1D)
  const q = split(tf.mul(proj("q_proj"), 1 / Math.sqrt(hd)))
  const k = split(proj("k_proj"))
  const v = split(proj("v_proj"))
  let scores: tf.Tensor3D = tf.matMul(q, k, false, true)
  if (mask !== undefined) scores = tf.add(scores, mask)
  const ctx = tf.matMul(tf.softmax(scores), v)
  const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [b, heads, l, hd]), [0, 2, 1, 3]), [b, l, d])
  return linear(merged, p(`${prefix}out_proj.weight`) as tf.Tensor2D, p(`${prefix}out_proj.bias`) as tf.Tensor1D) as tf.Tensor3D
}

/**
 * The causal mask of the text tower: 0 on and below the diagonal, a large
 * negative number above it (finite, so no `inf - inf` can make a NaN).
 *
 * @since 0.1.0
 * @category constructors
 */
export const causalMask = (length: number): tf.Tensor2D => {
  const data = new Float32Array(length * length)
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) data[i * length + j] = -1e9
  return tf.tensor2d(data, [length, length])
}
