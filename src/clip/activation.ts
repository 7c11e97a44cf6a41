/**
 * The two MLP non-linearities CLIP checkpoints use: OpenAI's QuickGELU
 * (`x * sigmoid(1.702 x)`, what the released OpenAI models were trained
 * with) and the exact GELU (`x * Phi(x)` via erf, what open_clip's LAION
 * models and Hugging Face's `hidden_act="gelu"` use). Each is one fused
 * kernel with its own gradient on the native backend, and elsewhere built
 * from ops every backend has (wasm included), differentiated through tfjs.
 *
 * @since 0.1.0
 */
import { fusedActivation } from "../backend/fused.js"
import { tf } from "../backend/tf.js"

/**
 * `x * sigmoid(1.702 x)`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const quickGelu = <T extends tf.Tensor>(x: T): T =>
  fusedActivation(x, "quick_gelu") ?? (tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))) as T)

/**
 * Exact GELU: `0.5 x (1 + erf(x / sqrt 2))` (not the tanh approximation).
 *
 * @since 0.1.0
 * @category combinators
 */
export const gelu = <T extends tf.Tensor>(x: T): T =>
  fusedActivation(x, "gelu") ?? (tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T)

/**
 * The activation a configuration names.
 *
 * @since 0.1.0
 * @category utils
 */
export const activation = (name: "quick_gelu" | "gelu"): (<T extends tf.Tensor>(x: T) => T) =>
  name === "gelu" ? gelu : quickGelu
