/**
 * CLIP's similarity head: L2-normalised embeddings and their scaled cosine
 * similarities (`logits_per_image = scale * img_n txt_n^T`).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"

/**
 * Rows divided by their L2 norm (as `x / x.norm(dim=-1, keepdim=True)`;
 * a zero row stays finite thanks to a 1e-12 floor).
 *
 * @since 0.1.0
 * @category combinators
 */
export const l2Normalize = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.div(x, tf.maximum(tf.norm(x, "euclidean", 1, true), 1e-12)) as tf.Tensor2D

/**
 * `scale * normalize(image) normalize(text)^T`: [images, texts]. `scale` is
 * a number or the differentiable `model.logitScaleTensor()`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const logitsPerImage = (imageFeatures: tf.Tensor2D, textFeatures: tf.Tensor2D, scale: number | tf.Scalar): tf.Tensor2D =>
  tf.mul(tf.matMul(l2Normalize(imageFeatures), l2Normalize(textFeatures), false, true), scale) as tf.Tensor2D
