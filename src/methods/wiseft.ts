/**
 * WiSE-FT (Wortsman et al., CVPR 2022): ensemble in weight space between the
 * zero-shot model and the fine-tuned one,
 * `theta = (1 - alpha) * theta_zeroshot + alpha * theta_finetuned`;
 * alpha = 0 is the zero-shot model, 1 the fine-tuned one (swept in the study).
 *
 * @since 0.1.0
 */
import type { tf } from "../backend/tf.js"
import { interpolateWeights, type Weights } from "./weights.js"

/**
 * The WiSE-FT weights (new tensors).
 *
 * @since 0.1.0
 * @category combinators
 */
export const wiseft = (zeroShot: Weights, finetuned: Weights, alpha: number): Map<string, tf.Tensor> =>
  interpolateWeights(zeroShot, finetuned, alpha, "WiSE-FT")
