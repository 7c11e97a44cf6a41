/**
 * CLIP's similarity logits, shared by every loss here:
 * `logits[i, j] = scale * <a_i / |a_i|, b_j / |b_j|>`.
 *
 * @since 0.1.0
 */
import { l2Normalize } from "../backend/l2Normalize.js"
import { tf } from "../backend/tf.js"
import { ShapeMismatchError } from "./errors.js"

/** Defined once for CLIP and the methods, in `backend/l2Normalize.ts`. @since 0.1.0 @category utils */
export { l2Normalize }

/**
 * `scale * norm(a) . norm(b)^T`: image-to-text logits when `a` holds image
 * features and `b` text features ([n, d] x [m, d] -> [n, m]).
 *
 * @since 0.1.0
 * @category utils
 */
export const similarityLogits = (a: tf.Tensor2D, b: tf.Tensor2D, scale: tf.Scalar | number): tf.Tensor2D =>
  tf.tidy("similarityLogits", () => {
    if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) {
      throw new ShapeMismatchError({
        method: "similarityLogits",
        tensor: "b",
        expected: `[m, ${a.shape[1]}] (same feature width as a)`,
        actual: b.shape,
      })
    }
    return tf.mul(tf.matMul(l2Normalize(a), l2Normalize(b), false, true), scale) as tf.Tensor2D
  })
