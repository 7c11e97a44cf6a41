/**
 * Learning without Forgetting for CLIP: keep the current model's
 * image-to-class-prompt distribution over the classes seen so far close to
 * the previous model's,
 * `L_LwF = mean_i KL(softmax(z^T_i / T) || softmax(z^S_i / T))` with
 * `z^T = s_T norm(f_T(x)) . norm(g_T(prompts))^T` from the frozen previous
 * model and `z^S` the student's logits of the CE term.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { tokenRows } from "./data.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { klDivergence } from "./distill.js"
import type { Method, SessionSetup } from "./method.js"
import type { MethodModel } from "./model.js"
import { LwfOptions as LwfSchema } from "./options.js"
import { similarityLogits } from "./similarity.js"
import { teacherImages, type TeacherImages } from "./teacher.js"

/**
 * The LwF term from teacher and student logits over the same classes.
 *
 * @since 0.1.0
 * @category losses
 */
export const lwfLoss = (teacherLogits: tf.Tensor2D, studentLogits: tf.Tensor2D, temperature = 1): tf.Scalar =>
  tf.tidy("lwfLoss", () => klDivergence(teacherLogits, studentLogits, temperature))

/**
 * @since 0.1.0
 * @category models
 */
export type LwfOptions = OptionsOf<typeof LwfSchema>

/**
 * @since 0.1.0
 * @category constants
 */
export const lwfDefaults: LwfOptions = defaultsOf(LwfSchema)

/**
 * A frozen teacher's class-prompt features, computed once per session, and
 * its logits for a batch of images (rows `indices` of the image set that
 * `images` views: precomputed features or the teacher run on the batch).
 *
 * @since 0.1.0
 * @category utils
 */
export interface ClassTeacher {
  logits(indices: ReadonlyArray<number>, images: tf.Tensor4D): tf.Tensor2D
  dispose(): void
}

/**
 * The class teacher over `images`, whose scale it uses (the caller disposes
 * `images`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const classTeacher = (teacher: MethodModel, classTokens: ReadonlyArray<ReadonlyArray<number>>, images: TeacherImages): ClassTeacher => {
  const texts = tf.tidy(() => teacher.encodeText(tokenRows(classTokens)))
  return {
    logits: (indices, batch) => tf.tidy("classTeacher", () => similarityLogits(images.encode(indices, batch), texts, images.scale)),
    dispose: () => texts.dispose(),
  }
}

/**
 * Whether the LwF term applies in this session.
 *
 * @since 0.1.0
 * @category utils
 */
export const lwfActive = (s: SessionSetup, firstSession: number): boolean => s.session.index >= firstSession

/**
 * LwF as a method (teacher: the previous session's model).
 *
 * @since 0.1.0
 * @category constructors
 */
export const lwf = (options: Partial<LwfOptions> = {}): Method => {
  const o = { ...lwfDefaults, ...options }
  return {
    name: "LwF",
    setup: (s) => {
      if (!lwfActive(s, o.firstSession)) return { dispose: () => {} }
      const images = teacherImages("LwF", "previousImages", s.session.images.size, () => s.previous, s.previousImages)
      const teacher = classTeacher(s.previous, s.session.classTokens, images)
      return {
        extraLoss: (input) => {
          const l = lwfLoss(teacher.logits(input.indices, input.images), input.logits, o.temperature)
          return { loss: tf.mul(l, o.alpha) as tf.Scalar, metrics: { lwf: l } }
        },
        dispose: () => {
          teacher.dispose()
          images.dispose()
        },
      }
    },
  }
}
