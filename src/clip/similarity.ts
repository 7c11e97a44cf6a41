/**
 * CLIP's similarity head: L2-normalised embeddings and their scaled cosine
 * similarities (`logits_per_image = scale * img_n txt_n^T`).
 *
 * @since 0.1.0
 */
import { l2Normalize } from "../backend/l2Normalize.js"
import { tf } from "../backend/tf.js"

/** Defined once for CLIP and the methods, in `backend/l2Normalize.ts`. @since 0.1.0 @category combinators */
export { l2Normalize }

/**
 * `scale * normalize(image) normalize(text)^T`: [images, texts]. `scale` is
 * a number or the differentiable `model.logitScaleTensor()`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const logitsPerImage = (imageFeatures: tf.Tensor2D, textFeatures: tf.Tensor2D, scale: number | tf.Scalar): tf.Tensor2D =>
  tf.mul(tf.matMul(l2Normalize(imageFeatures), l2Normalize(textFeatures), false, true), scale) as tf.Tensor2D
