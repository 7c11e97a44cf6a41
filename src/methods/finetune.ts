/**
 * One continual-learning session: cross-entropy over image-to-class-prompt
 * logits (`s * norm(f(img)) . norm(g(prompt))^T`) plus whatever the method
 * adds, tuning the part of CLIP the options name.
 *
 * Class-prompt features: when the text encoder is not being trained they are
 * computed once, before the loop; when it is, they are recomputed inside the
 * gradient tape every step so the CE gradient reaches the text tower.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { clampLogitScale } from "./contrastive.js"
import { crossEntropy } from "./crossEntropy.js"
import { tokenRows, type SessionData } from "./data.js"
import { InvalidOptionError } from "./errors.js"
import { ft, type Method } from "./method.js"
import type { MethodModel, TunePart } from "./model.js"
import { makeRng } from "../random.js"
import { similarityLogits } from "./similarity.js"
import type { TeacherImageFeatures } from "./teacher.js"
import { train, type TrainHooks, type TrainOptions, type TrainResult } from "./train.js"
import { promptAccuracy } from "./validation.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface FinetuneOptions extends TrainOptions {
  readonly part: TunePart
}

/**
 * Optional models a method may need: `previous` defaults to a copy of
 * `model` taken at the start of the session (which is the previous
 * session's model when sessions run in sequence, and the original model for
 * one-session training); `initial` is the pretrained model (ZSCL).
 * `previousImages` are `previous`'s features of the session's images,
 * computed once (`embedImages`), so teachers need not encode them at every
 * step; the caller owns them.
 *
 * @since 0.1.0
 * @category models
 */
export interface FinetuneModels {
  readonly previous?: MethodModel
  readonly initial?: MethodModel
  readonly previousImages?: TeacherImageFeatures
}

/**
 * Whether training `part` changes the text tower's output.
 *
 * @since 0.1.0
 * @category utils
 */
export const trainsText = (part: TunePart): boolean => part.encoder !== "image"

/**
 * Train `model` in place on one session with `method`; resolves with the
 * loop's per-epoch metrics.
 *
 * @since 0.1.0
 * @category constructors
 */
export const finetune = async (
  model: MethodModel,
  session: SessionData,
  method: Method = ft,
  options: FinetuneOptions,
  hooks: TrainHooks & FinetuneModels = {},
): Promise<TrainResult> => {
  const classes = session.classTokens.length
  const badLabel = session.labels.find((y) => !(Number.isInteger(y) && y >= 0 && y < classes))
  if (badLabel !== undefined) {
    throw new InvalidOptionError({ method: method.name, option: "session.labels", reason: `contains ${badLabel}, not a class index in [0, ${classes})` })
  }
  if (session.labels.length !== session.images.size) {
    throw new InvalidOptionError({ method: method.name, option: "session.labels", reason: `has ${session.labels.length} labels for ${session.images.size} images` })
  }
  const variables = model.trainableVariables(options.part)
  const ownPrevious = hooks.previous === undefined
  // The copy is taken lazily, during setup (before any step), only by methods that read it: FT never pays for it.
  let cloned: MethodModel | undefined
  const previousModel = (): MethodModel => hooks.previous ?? (cloned ??= model.clone())
  const rng = makeRng(options.seed + 7919 * (session.index + 1))
  const tokens = tokenRows(session.classTokens)
  const textTrained = trainsText(options.part)
  const frozenClassTexts = textTrained ? undefined : tf.tidy(() => tf.keep(model.encodeText(tokens)))
  const release = () => {
    frozenClassTexts?.dispose()
    cloned?.dispose()
  }
  let m: ReturnType<Method["setup"]>
  try {
    m = method.setup({
      model,
      get previous() {
        return previousModel()
      },
      previousIsStart: ownPrevious,
      initial: hooks.initial,
      previousImages: hooks.previousImages,
      session,
      part: options.part,
      variables,
      rng: rng.fork(),
      batchSize: options.batchSize,
    })
  } catch (e) {
    // A refused setup (bad option, features of the wrong image set) frees what was made for it.
    release()
    throw e
  }
  try {
    const result = await train(
      {
        name: method.name,
        size: session.images.size,
        variables,
        loss: (indices, step) => {
          const images = session.images.batch(indices)
          const labels = tf.tensor1d(indices.map((i) => session.labels[i]), "int32")
          const studentImages = model.encodeImage(images)
          const classTexts = frozenClassTexts ?? model.encodeText(tokens)
          const studentScale = model.logitScaleTensor()
          const logits = similarityLogits(studentImages, classTexts, studentScale)
          const ce = crossEntropy(logits, labels)
          if (m.extraLoss === undefined) return { loss: ce, metrics: { ce } }
          const extra = m.extraLoss({ step, indices, images, labels, studentImages, classTexts, studentScale, logits })
          return { loss: tf.add(ce, extra.loss) as tf.Scalar, metrics: { ce, ...extra.metrics } }
        },
        reparameterize: m.reparameterize,
        adjustGradients: m.adjustGradients,
        afterStep: (step) => {
          clampLogitScale(model)
          m.afterStep?.(step)
        },
      },
      options,
      {
        ...hooks,
        // Training to a plateau reads the target accuracy on the session's held-out images after each epoch.
        ...(session.validation === undefined
          ? {}
          : { score: () => promptAccuracy(model, session.validation!.images, session.validation!.labels, session.classTokens) }),
      },
    )
    m.finish?.()
    return result
  } finally {
    m.dispose()
    release()
  }
}
