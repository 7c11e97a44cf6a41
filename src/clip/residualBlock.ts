/**
 * One pre-norm transformer block, the unit both towers stack:
 * `x + attn(ln1(x))`, then `+ mlp(ln2(x))` with the MLP `fc2(act(fc1(.)))`.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { activation } from "./activation.js"
import { selfAttention, type ParamLookup } from "./attention.js"
import { layerNorm } from "./layerNorm.js"
import { linear } from "./linear.js"

/**
 * What a block needs besides its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface BlockOptions {
  readonly heads: number
  readonly activation: "quick_gelu" | "gelu"
  readonly eps: number
  readonly mask?: tf.Tensor2D
}

/**
 * The block whose parameters sit under `prefix`
 * (`vision_model.encoder.layers.N.`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const residualBlock = (x: tf.Tensor3D, p: ParamLookup, prefix: string, o: BlockOptions): tf.Tensor3D => {
  const ln = (n: string, t: tf.Tensor3D): tf.Tensor3D =>
    layerNorm(t, p(`${prefix}${n}.weight`) as tf.Tensor1D, p(`${prefix}${n}.bias`) as tf.Tensor1D, o.eps)
  const h = tf.add(x, selfAttention(ln("layer_norm1", x), p, `${prefix}self_attn.`, o.heads, o.mask)) as tf.Tensor3D
  const act = activation(o.activation)
  const hidden = act(linear(ln("layer_norm2", h), p(`${prefix}mlp.fc1.weight`) as tf.Tensor2D, p(`${prefix}mlp.fc1.bias`) as tf.Tensor1D))
  const out = linear(hidden, p(`${prefix}mlp.fc2.weight`) as tf.Tensor2D, p(`${prefix}mlp.fc2.bias`) as tf.Tensor1D)
  return tf.add(h, out) as tf.Tensor3D
}
