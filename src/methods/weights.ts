/**
 * Weight-space arithmetic shared by WiSE-FT, IMM and ZSCL's weight
 * averaging: models are compared parameter by parameter, by name.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { InvalidOptionError, ShapeMismatchError } from "./errors.js"

/**
 * Named weights (Hugging Face layout names).
 *
 * @since 0.1.0
 * @category models
 */
export type Weights = ReadonlyMap<string, tf.Tensor>

/**
 * `(1 - alpha) * a + alpha * b` for every parameter; both maps must have the
 * same names and shapes. Returns new tensors.
 *
 * @since 0.1.0
 * @category combinators
 */
export const interpolateWeights = (a: Weights, b: Weights, alpha: number, method = "interpolateWeights"): Map<string, tf.Tensor> => {
  if (!(alpha >= 0 && alpha <= 1)) throw new InvalidOptionError({ method, option: "alpha", reason: `must be in [0, 1], got ${alpha}` })
  const missing = [...a.keys()].filter((k) => !b.has(k)).concat([...b.keys()].filter((k) => !a.has(k)))
  if (missing.length > 0) throw new InvalidOptionError({ method, option: "weights", reason: `differ in parameter names: ${missing.slice(0, 5).join(", ")}` })
  const out = new Map<string, tf.Tensor>()
  for (const [name, x] of a) {
    const y = b.get(name)!
    if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
      out.forEach((t) => t.dispose())
      throw new ShapeMismatchError({ method, tensor: name, expected: `[${x.shape.join(", ")}]`, actual: y.shape })
    }
    out.set(name, tf.tidy(method, () => tf.add(tf.mul(x, 1 - alpha), tf.mul(y, alpha))))
  }
  return out
}

/**
 * Dispose every tensor of a weight map.
 *
 * @since 0.1.0
 * @category utils
 */
export const disposeWeights = (w: Weights): void => w.forEach((t) => t.dispose())
