/**
 * Cross-entropy over image-to-class-prompt logits: the FT loss, and the
 * supervised term of every method that learns a new session.
 *
 * `CE = mean_i ( logsumexp_j logits[i, j] - logits[i, y_i] )`
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { ShapeMismatchError } from "./errors.js"

/**
 * Mean cross-entropy of `logits` ([n, c]) against integer `labels` (n ids in
 * [0, c)).
 *
 * @since 0.1.0
 * @category losses
 */
export const crossEntropy = (logits: tf.Tensor2D, labels: tf.Tensor1D | ReadonlyArray<number>): tf.Scalar =>
  tf.tidy("crossEntropy", () => {
    const [n, c] = logits.shape
    const y = Array.isArray(labels) || !(labels instanceof tf.Tensor)
      ? tf.tensor1d(labels as number[], "int32")
      : (labels as tf.Tensor1D)
    if (y.shape[0] !== n) {
      throw new ShapeMismatchError({ method: "crossEntropy", tensor: "labels", expected: `[${n}]`, actual: y.shape })
    }
    const oneHot = tf.oneHot(tf.cast(y, "int32"), c)
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar
  })
