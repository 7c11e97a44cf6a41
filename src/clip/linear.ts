/**
 * A dense layer with weights in PyTorch's `[out, in]` layout (the Hugging
 * Face checkpoint layout the model keeps its variables in), applied to the
 * last axis of a tensor of any rank.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"

/**
 * `x W^T + b` over the last axis of `x`; `b` is optional (projections have
 * none).
 *
 * @since 0.1.0
 * @category combinators
 */
export const linear = (x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor => {
  const inDim = x.shape[x.rank - 1]!
  const outDim = weight.shape[0]
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inDim]) as tf.Tensor2D
  // The bias rides on the product (one kernel, added in place by the native pack).
  const y: tf.Tensor =
    bias === undefined ? tf.matMul(flat, weight, false, true) : tf.fused.matMul({ a: flat, b: weight, transposeB: true, bias })
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outDim])
}
