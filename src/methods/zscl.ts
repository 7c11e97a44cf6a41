/**
 * ZSCL (Zheng et al., "Preventing Zero-Shot Transfer Degradation in
 * Continual Learning of Vision-Language Models", ICCV 2023): distil the
 * INITIAL (pretrained) model on reference data rather than the previous one,
 *
 *   z^T = s_0 norm(f_0(x_ref)) . norm(g_0(t_ref))^T,  z^S likewise from the student,
 *   L = CE + w * (D_T(z^T, z^S) + D_T(z^T^T, z^S^T)),   T = 2,
 *
 * (`D_T` ZSCL's soft-label CE x T^2; rows image -> text, columns text -> image)
 * plus weight averaging: every K steps the running mean of the trained
 * weights takes in the current ones (`avg <- (n avg + theta) / (n + 1)`,
 * starting from the session's initial weights with n = 1), and the session
 * ends with the averaged weights.
 *
 * Each step uses `imagesPerStep` reference images and `textsPerStep`
 * reference texts drawn at random. Without an initial model, the model at
 * the session start is the teacher (the same thing in the first session).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import type { ImageSource } from "./data.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { InvalidOptionError } from "./errors.js"
import { trainsText } from "./finetune.js"
import { lwfVrZsclLoss } from "./lwfvrZscl.js"
import type { ExtraLoss, Method } from "./method.js"
import { ZsclOptions as ZsclSchema } from "./options.js"
import { teacherImages, type TeacherImageFeatures } from "./teacher.js"
import { textBank } from "./textBank.js"
import { sampleIndices } from "./vocabulary.js"

/**
 * Reference data: images (e.g. from the pretraining distribution) and texts
 * (e.g. prompts of many class names); `teacherTextFeatures` may carry the
 * initial model's features of `texts` (from `embedVocabulary`) and
 * `teacherImages` its features of `images` (from `embedImages`), computed
 * once; the caller owns both.
 *
 * @since 0.1.0
 * @category models
 */
export interface ZsclReference {
  readonly images: ImageSource
  readonly texts: ReadonlyArray<ReadonlyArray<number>>
  readonly teacherTextFeatures?: tf.Tensor2D
  readonly teacherImages?: TeacherImageFeatures
}

/**
 * @since 0.1.0
 * @category models
 */
export type ZsclOptions = Omit<OptionsOf<typeof ZsclSchema>, "referenceSize"> & {
  readonly reference: ZsclReference
  /** Reference images per step (default: the batch size). */
  readonly imagesPerStep?: number
}

/**
 * A running average of variables' values (ZSCL's weight ensemble).
 *
 * @since 0.1.0
 * @category models
 */
export interface WeightAverager {
  /** Fold the variables' current values into the average. */
  update(): void
  /** How many weight sets the average holds. */
  readonly count: number
  /** Write the average into the variables. */
  apply(): void
  dispose(): void
}

/**
 * Start an average at the variables' current values (count 1).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWeightAverager = (variables: ReadonlyArray<tf.Variable>): WeightAverager => {
  const avg: tf.Tensor[] = variables.map((v) => tf.keep(tf.clone(v as tf.Tensor)))
  let n = 1
  return {
    get count() {
      return n
    },
    update: () => {
      variables.forEach((v, i) => {
        const next = tf.tidy("weightAverage", () => tf.div(tf.add(tf.mul(avg[i], n), v), n + 1))
        avg[i].dispose()
        avg[i] = next
      })
      n += 1
    },
    apply: () => variables.forEach((v, i) => v.assign(avg[i])),
    dispose: () => avg.forEach((t) => t.dispose()),
  }
}

/**
 * ZSCL as a method.
 *
 * @since 0.1.0
 * @category constructors
 */
export const zscl = (options: Partial<ZsclOptions> & { readonly reference: ZsclReference }): Method => {
  const { referenceSize: _size, ...defaults } = defaultsOf(ZsclSchema)
  const o = { ...defaults, ...options }
  if (o.reference.images.size < 1 || o.reference.texts.length < 1) {
    throw new InvalidOptionError({ method: "ZSCL", option: "reference", reason: "needs at least one image and one text" })
  }
  return {
    name: "ZSCL",
    setup: (s) => {
      const teacher = s.initial ?? s.previous
      const ref = o.reference
      const texts = textBank(ref.texts, teacher, s.model, trainsText(s.part) ? "trained" : "frozen", ref.teacherTextFeatures)
      const teacherRef = teacherImages("ZSCL", "reference.teacherImages", ref.images.size, () => teacher, ref.teacherImages)
      const averager = o.averageEvery > 0 ? makeWeightAverager(s.variables) : undefined
      const perStep = o.imagesPerStep ?? s.batchSize
      return {
        extraLoss: (input): ExtraLoss => {
          const imgIdx = sampleIndices(s.rng, ref.images.size, perStep)
          const pick = texts.gather(sampleIndices(s.rng, texts.size, o.textsPerStep))
          const images = ref.images.batch(imgIdx)
          const l = lwfVrZsclLoss(
            { images: teacherRef.encode(imgIdx, images), texts: pick.teacher, scale: teacherRef.scale },
            { images: s.model.encodeImage(images), texts: pick.student, scale: input.studentScale },
            o.temperature,
          )
          return { loss: tf.mul(l, o.weight) as tf.Scalar, metrics: { zscl: l } }
        },
        afterStep: (step) => {
          if (averager !== undefined && (step + 1) % o.averageEvery === 0) averager.update()
        },
        finish: () => averager?.apply(),
        dispose: () => {
          texts.dispose()
          teacherRef.dispose()
          averager?.dispose()
        },
      }
    },
  }
}
