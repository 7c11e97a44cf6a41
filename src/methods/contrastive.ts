/**
 * Symmetric InfoNCE, CLIP's pretraining loss: for a batch of n matching
 * image-text pairs, `logits = s * norm(I) . norm(T)^T` and
 * `L = (CE(logits, diag) + CE(logits^T, diag)) / 2`.
 * The learnable scale `s = exp(t)` is clamped at 100 the way CLIP does it:
 * by clipping the log-scale variable `t` to ln(100) after each step
 * ({@link clampLogitScale}).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { crossEntropy } from "./crossEntropy.js"
import { ShapeMismatchError } from "./errors.js"
import type { MethodModel } from "./model.js"
import { similarityLogits } from "./similarity.js"

/**
 * The largest logit scale CLIP allows.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_LOGIT_SCALE = 100

/**
 * Symmetric InfoNCE of paired features `images[i] <-> texts[i]`.
 *
 * @since 0.1.0
 * @category losses
 */
export const contrastiveLoss = (images: tf.Tensor2D, texts: tf.Tensor2D, scale: tf.Scalar | number): tf.Scalar =>
  tf.tidy("contrastiveLoss", () => {
    if (images.shape[0] !== texts.shape[0]) {
      throw new ShapeMismatchError({
        method: "contrastiveLoss",
        tensor: "texts",
        expected: `[${images.shape[0]}, d] (one text per image)`,
        actual: texts.shape,
      })
    }
    const n = images.shape[0]
    const logits = similarityLogits(images, texts, scale)
    const diag = tf.range(0, n, 1, "int32") as tf.Tensor1D
    return tf.div(tf.add(crossEntropy(logits, diag), crossEntropy(tf.transpose(logits) as tf.Tensor2D, diag)), 2) as tf.Scalar
  })

/**
 * Clip the model's `logit_scale` variable (a log-scale) to ln(100), so that
 * exp(logit_scale) <= 100. A no-op for models without that variable.
 *
 * @since 0.1.0
 * @category utils
 */
export const clampLogitScale = (model: MethodModel, max = MAX_LOGIT_SCALE): void => {
  const v = model.params.get("logit_scale")
  if (v === undefined) return
  tf.tidy("clampLogitScale", () => {
    v.assign(tf.minimum(v, Math.log(max)))
  })
}
