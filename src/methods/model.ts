/**
 * The slice of the CLIP model contract (`src/clip/model.ts`) that the
 * continual-learning methods use. It is declared here, structurally, so that
 * `src/methods` is testable on its own with any model that has this shape
 * (the real `ClipModel` satisfies it; tests may use a tiny stand-in).
 *
 * @since 0.1.0
 */
import type { tf } from "../backend/tf.js"

/**
 * Which part of CLIP a session tunes: the whole model, one encoder, or the
 * top `topBlocks` transformer blocks of the chosen encoder(s) (the paper's
 * "which part to tune" study).
 *
 * @since 0.1.0
 * @category models
 */
export type TunePart = { readonly encoder: "all" | "image" | "text"; readonly topBlocks?: number }

/**
 * What a method needs from a CLIP model.
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodModel {
  readonly config: { readonly contextLength: number; readonly vocabSize: number; readonly embedDim: number }
  readonly params: ReadonlyMap<string, tf.Variable>
  /** NHWC normalised pixels -> projected, unnormalised image features. Differentiable. */
  encodeImage(pixels: tf.Tensor4D): tf.Tensor2D
  /** [n, ctx] token ids -> projected, unnormalised text features. Differentiable. */
  encodeText(ids: number[][] | tf.Tensor2D): tf.Tensor2D
  /** exp(logit_scale variable), differentiable. */
  logitScaleTensor(): tf.Scalar
  trainableVariables(part: TunePart): tf.Variable[]
  getWeights(): Map<string, tf.Tensor>
  setWeights(w: ReadonlyMap<string, tf.Tensor>): void
  clone(): MethodModel
  dispose(): void
}
