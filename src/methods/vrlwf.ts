/**
 * VR-LwF (vocabulary-replay LwF), the paper's method, as the authors' code
 * does it. Each batch draws 100 pseudo-classes `[START, 8 random ids, END]`;
 * with `P` their token rows,
 *
 *   z^T = exp(s_T) norm(f_T(x)) . norm(g_T(P))^T     (frozen teacher)
 *   z^S = exp(s_S) norm(f_S(x)) . norm(g_S(P))^T     (student, own scale)
 *   L_VR = mean_i KL(softmax(z^T_i) || softmax(z^S_i))   (temperature 1)
 *   L = CE + alpha (L_LwF + L_VR),  alpha = 0.5,
 *
 * with `L_LwF` (over the class prompts seen so far) from the second session
 * on. The teacher is the model at the start of the session: the original
 * model for one-session training, the previous session's for multi-session.
 *
 * Options beyond the paper: the number and length of pseudo-classes, and a
 * fixed vocabulary pool (random sequences or real words, embedded once with
 * `embedVocabulary`) from which each batch takes its classes instead of
 * redrawing.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { klDivergence } from "./distill.js"
import { InvalidOptionError } from "./errors.js"
import { trainsText } from "./finetune.js"
import { classTeacher, lwfActive, lwfLoss } from "./lwf.js"
import type { ExtraLoss, Method } from "./method.js"
import { VrlwfOptions as VrlwfSchema } from "./options.js"
import { similarityLogits } from "./similarity.js"
import { teacherImages } from "./teacher.js"
import { textBank } from "./textBank.js"
import { drawPseudoClasses, sampleIndices } from "./vocabulary.js"

/**
 * The VR term: KL between teacher and student distributions over the replayed
 * vocabulary, from features (each side normalised and scaled by its own
 * logit scale).
 *
 * @since 0.1.0
 * @category losses
 */
export const vrLoss = (
  teacher: { readonly images: tf.Tensor2D; readonly texts: tf.Tensor2D; readonly scale: tf.Scalar | number },
  student: { readonly images: tf.Tensor2D; readonly texts: tf.Tensor2D; readonly scale: tf.Scalar | number },
  temperature = 1,
): tf.Scalar =>
  tf.tidy("vrLoss", () =>
    klDivergence(
      similarityLogits(teacher.images, teacher.texts, teacher.scale),
      similarityLogits(student.images, student.texts, student.scale),
      temperature,
    ))

/**
 * The VR-LwF total `CE + alpha (L_LwF + L_VR)` (`lwf` absent before the
 * second session).
 *
 * @since 0.1.0
 * @category losses
 */
export const vrlwfTotal = (ce: tf.Scalar, vr: tf.Scalar, lwf: tf.Scalar | undefined, alpha: number): tf.Scalar =>
  tf.tidy("vrlwfTotal", () => tf.add(ce, tf.mul(lwf === undefined ? vr : tf.add(lwf, vr), alpha)) as tf.Scalar)

/**
 * Where the replayed classes come from. `random`: fresh pseudo-classes every
 * batch (the paper). `pool`: a fixed list of token rows (random sequences
 * drawn once, or real words), of which each batch uses `count` (all when
 * `count` >= pool size); `teacherFeatures` may carry the teacher's features of
 * the pool, precomputed by `embedVocabulary` (a cached stage output).
 *
 * @since 0.1.0
 * @category models
 */
export type Vocabulary =
  | { readonly kind: "random" }
  | { readonly kind: "pool"; readonly ids: ReadonlyArray<ReadonlyArray<number>>; readonly teacherFeatures?: tf.Tensor2D }

/**
 * @since 0.1.0
 * @category models
 */
export type VrlwfOptions = Omit<OptionsOf<typeof VrlwfSchema>, "vocabulary"> & { readonly vocabulary: Vocabulary }

/**
 * @since 0.1.0
 * @category constants
 */
export const vrlwfDefaults: VrlwfOptions = { ...defaultsOf(VrlwfSchema), vocabulary: { kind: "random" } }

/**
 * VR-LwF as a method.
 *
 * @since 0.1.0
 * @category constructors
 */
export const vrlwf = (options: Partial<VrlwfOptions> = {}): Method => {
  const o = { ...vrlwfDefaults, ...options }
  if (!(o.alpha >= 0)) throw new InvalidOptionError({ method: "VR-LwF", option: "alpha", reason: `must be >= 0, got ${o.alpha}` })
  return {
    name: "VR-LwF",
    setup: (s) => {
      const teacher = s.previous
      const contextLength = s.model.config.contextLength
      const textTrained = trainsText(s.part)
      // When neither tower's text side moves, the student's vocabulary features equal the teacher's.
      const sharedText = !textTrained && s.previousIsStart
      const pool = o.vocabulary.kind === "pool" ? o.vocabulary : undefined
      if (pool !== undefined && pool.ids.length === 0) {
        throw new InvalidOptionError({ method: "VR-LwF", option: "vocabulary.ids", reason: "is empty" })
      }
      const images = teacherImages("VR-LwF", "previousImages", s.session.images.size, () => teacher, s.previousImages)
      const classes = lwfActive(s, o.lwfFirstSession) ? classTeacher(teacher, s.session.classTokens, images) : undefined
      const bank = pool === undefined ? undefined : textBank(pool.ids, teacher, s.model, sharedText ? "shared" : textTrained ? "trained" : "frozen", pool.teacherFeatures)
      return {
        extraLoss: (input): ExtraLoss => {
          let teacherTexts: tf.Tensor2D
          let studentTexts: tf.Tensor2D
          if (bank === undefined) {
            const ids = drawPseudoClasses(s.rng, { count: o.count, length: o.length, contextLength })
            teacherTexts = teacher.encodeText(ids)
            studentTexts = sharedText ? teacherTexts : s.model.encodeText(ids)
          } else {
            const pick = bank.gather(sampleIndices(s.rng, bank.size, o.count))
            teacherTexts = pick.teacher
            studentTexts = pick.student
          }
          const vr = vrLoss(
            { images: images.encode(input.indices, input.images), texts: teacherTexts, scale: images.scale },
            { images: input.studentImages, texts: studentTexts, scale: input.studentScale },
            o.temperature,
          )
          if (classes === undefined) return { loss: tf.mul(vr, o.alpha) as tf.Scalar, metrics: { vr } }
          const lwf = lwfLoss(classes.logits(input.indices, input.images), input.logits, o.temperature)
          return { loss: tf.mul(tf.add(lwf, vr), o.alpha) as tf.Scalar, metrics: { vr, lwf } }
        },
        dispose: () => {
          images.dispose()
          classes?.dispose()
          bank?.dispose()
        },
      }
    },
  }
}
