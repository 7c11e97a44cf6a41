/**
 * What a continual-learning method adds to fine-tuning. Every method here
 * trains with the same loop ({@link ./train.ts}) on the same supervised
 * term (cross-entropy over image-to-class-prompt logits); a `Method` says
 * what else happens in a session: extra loss terms computed inside the
 * gradient tape (LwF, VR-LwF, ZSCL, iCaRL, GeoDL), gradient surgery (GEM,
 * A-GEM), work after each step (ZSCL's weight averaging) or a different
 * parameterisation (RKR).
 *
 * @since 0.1.0
 */
import type { tf } from "../backend/tf.js"
import type { SessionData } from "./data.js"
import type { MethodModel, TunePart } from "./model.js"
import type { Rng } from "../random.js"
import type { TeacherImageFeatures } from "./teacher.js"

/**
 * The tensors of one step that a method's extra terms may use. All are
 * inside the gradient tape: a term built from `studentImages` or
 * `classTexts` differentiates through the student.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepInput {
  readonly step: number
  readonly indices: ReadonlyArray<number>
  readonly images: tf.Tensor4D
  readonly labels: tf.Tensor1D
  /** Student image features of `images` (projected, unnormalised). */
  readonly studentImages: tf.Tensor2D
  /** Student class-prompt features (projected, unnormalised), one row per class seen so far. */
  readonly classTexts: tf.Tensor2D
  /** exp(logit_scale) of the student, differentiable. */
  readonly studentScale: tf.Scalar
  /** Student image-to-class logits `s * norm(img) . norm(classTexts)^T`. */
  readonly logits: tf.Tensor2D
}

/**
 * Named extra loss: `loss` (already weighted) is added to the CE term;
 * `metrics` are reported unweighted.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExtraLoss {
  readonly loss: tf.Scalar
  readonly metrics: Readonly<Record<string, tf.Scalar>>
}

/**
 * Everything a method may use when a session starts.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionSetup {
  readonly model: MethodModel
  /**
   * Frozen copy of the model as it was when this session started (the
   * previous session's model). Read it during `setup` (it is copied on first
   * read), never later.
   */
  readonly previous: MethodModel
  /** True when `previous` is the copy taken at session start (so frozen parts of both models agree). */
  readonly previousIsStart: boolean
  /** The initial (pretrained / zero-shot) model, when the caller has it. */
  readonly initial: MethodModel | undefined
  /**
   * `previous`'s features of `session.images`, row by row, when the caller
   * computed them once (the `distill` stage): methods then gather them
   * instead of running `previous`'s image encoder at every step.
   */
  readonly previousImages: TeacherImageFeatures | undefined
  readonly session: SessionData
  readonly part: TunePart
  /** The variables being trained, in order. */
  readonly variables: ReadonlyArray<tf.Variable>
  readonly rng: Rng
  readonly batchSize: number
}

type Grads = Array<tf.Tensor | undefined>

/**
 * The per-session behaviour of one method.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionMethod {
  readonly extraLoss?: (input: StepInput) => ExtraLoss
  readonly adjustGradients?: (grads: Grads, step: number) => Grads
  readonly reparameterize?: {
    readonly variables: ReadonlyArray<tf.Variable>
    readonly beforeStep: () => void
    readonly gradients: (grads: Grads) => Grads
  }
  readonly afterStep?: (step: number) => void
  /** When the session's steps are done (apply averaged weights, store memory...). */
  readonly finish?: () => void
  /** Free everything the method allocated. */
  readonly dispose: () => void
}

/**
 * A continual-learning method: a name and how it sets up each session.
 *
 * @since 0.1.0
 * @category models
 */
export interface Method {
  readonly name: string
  readonly setup: (s: SessionSetup) => SessionMethod
}

/**
 * Plain fine-tuning (FT): cross-entropy only.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ft: Method = { name: "FT", setup: () => ({ dispose: () => {} }) }
