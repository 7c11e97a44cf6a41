/**
 * LwF-VR as ZSCL (Zheng et al., ICCV 2023) re-implemented it, so it can be
 * compared with the authors' VR-LwF: at the start of each session 1,000
 * random token sequences are drawn once and kept for the session; each step
 * distils the previous model's image-text logits on the current batch
 * against those sequences in both directions (image -> text and
 * text -> image) with ZSCL's `distillation` (soft-label CE x T^2, T = 2).
 *
 * Each step uses `textsPerStep` of the fixed sequences (all of them when it
 * is >= their number), a cost bound for CPU runs; documented as an option.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { bidirectionalDistillation } from "./distill.js"
import { trainsText } from "./finetune.js"
import type { ExtraLoss, Method } from "./method.js"
import { LwfVrZsclOptions as LwfVrZsclSchema } from "./options.js"
import { similarityLogits } from "./similarity.js"
import { teacherImages } from "./teacher.js"
import { textBank } from "./textBank.js"
import { drawPseudoClasses, sampleIndices } from "./vocabulary.js"

/**
 * @since 0.1.0
 * @category models
 */
export type LwfVrZsclOptions = OptionsOf<typeof LwfVrZsclSchema>

/**
 * @since 0.1.0
 * @category constants
 */
export const lwfVrZsclDefaults: LwfVrZsclOptions = defaultsOf(LwfVrZsclSchema)

/**
 * The distillation term from features: both models' logits of the same
 * images against the same texts, distilled both ways.
 *
 * @since 0.1.0
 * @category losses
 */
export const lwfVrZsclLoss = (
  teacher: { readonly images: tf.Tensor2D; readonly texts: tf.Tensor2D; readonly scale: tf.Scalar | number },
  student: { readonly images: tf.Tensor2D; readonly texts: tf.Tensor2D; readonly scale: tf.Scalar | number },
  temperature = 2,
): tf.Scalar =>
  tf.tidy("lwfVrZsclLoss", () =>
    bidirectionalDistillation(
      similarityLogits(teacher.images, teacher.texts, teacher.scale),
      similarityLogits(student.images, student.texts, student.scale),
      temperature,
    ))

/**
 * LwF-VR (ZSCL's version) as a method; the teacher is the previous model.
 *
 * @since 0.1.0
 * @category constructors
 */
export const lwfVrZscl = (options: Partial<LwfVrZsclOptions> = {}): Method => {
  const o = { ...lwfVrZsclDefaults, ...options }
  return {
    name: "LwF-VR (ZSCL)",
    setup: (s) => {
      const teacher = s.previous
      const ids = drawPseudoClasses(s.rng, { count: o.sequences, length: o.length, contextLength: s.model.config.contextLength })
      const texts = textBank(ids, teacher, s.model, trainsText(s.part) ? "trained" : s.previousIsStart ? "shared" : "frozen")
      const images = teacherImages("LwF-VR (ZSCL)", "previousImages", s.session.images.size, () => teacher, s.previousImages)
      return {
        extraLoss: (input): ExtraLoss => {
          const pick = texts.gather(sampleIndices(s.rng, texts.size, o.textsPerStep))
          const l = lwfVrZsclLoss(
            { images: images.encode(input.indices, input.images), texts: pick.teacher, scale: images.scale },
            { images: input.studentImages, texts: pick.student, scale: input.studentScale },
            o.temperature,
          )
          return { loss: tf.mul(l, o.weight) as tf.Scalar, metrics: { distill: l } }
        },
        dispose: () => {
          texts.dispose()
          images.dispose()
        },
      }
    },
  }
}
