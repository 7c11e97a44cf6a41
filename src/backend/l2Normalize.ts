/**
 * Row-wise L2 normalisation, the one definition CLIP's similarity head and
 * the continual-learning losses share (`src/backend` is the layer both may
 * import; `src/methods` must not import `src/clip`).
 *
 * @since 0.1.0
 */
import { tf } from "./tf.js"

/**
 * Rows divided by their L2 norm, `x / max(|x|, 1e-12)` (PyTorch's
 * `F.normalize`; a zero row stays finite), differentiable.
 *
 * @since 0.1.0
 * @category combinators
 */
export const l2Normalize = (x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy("l2Normalize", () => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D)
