/**
 * A fixed set of texts whose features a teacher and a student both give, as
 * VR-LwF's pooled vocabulary, LwF-VR (ZSCL)'s pseudo-sentences and ZSCL's
 * reference captions use them: the teacher's features computed once (or
 * given), the student's computed once while its text tower is frozen (or
 * the teacher's own, when both towers are the same frozen weights), and
 * re-encoded inside the gradient tape at every step while it trains.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import type { MethodModel } from "./model.js"
import { embedVocabulary } from "./vocabulary.js"

/**
 * How the student's features of the texts are had: `trained` (its text
 * tower trains: encoded at every step), `frozen` (encoded once), `shared`
 * (its text tower is the teacher's, frozen: the teacher's features).
 *
 * @since 0.1.0
 * @category models
 */
export type StudentText = "trained" | "frozen" | "shared"

/**
 * @since 0.1.0
 * @category models
 */
export interface TextBank {
  readonly size: number
  /** Both models' features of texts `rows`; the student's are differentiable while its text tower trains. */
  readonly gather: (rows: ReadonlyArray<number>) => { readonly teacher: tf.Tensor2D; readonly student: tf.Tensor2D }
  /** Free the features the bank computed (not given ones). */
  readonly dispose: () => void
}

/**
 * The bank of texts `ids` (token rows) between `teacher` and `student`;
 * `teacherFeatures` are the teacher's features of `ids` when computed
 * once elsewhere (the caller owns them).
 *
 * @since 0.1.0
 * @category constructors
 */
export const textBank = (
  ids: ReadonlyArray<ReadonlyArray<number>>,
  teacher: MethodModel,
  student: MethodModel,
  studentText: StudentText,
  teacherFeatures?: tf.Tensor2D,
): TextBank => {
  const teacherTexts = teacherFeatures ?? embedVocabulary(teacher, ids)
  const studentTexts = studentText === "trained" ? undefined : studentText === "shared" ? teacherTexts : embedVocabulary(student, ids)
  return {
    size: ids.length,
    gather: (rows) => {
      const idx = tf.tensor1d(rows as Array<number>, "int32")
      const t = tf.gather(teacherTexts, idx)
      return {
        teacher: t,
        student: studentText === "shared" ? t : studentTexts !== undefined ? tf.gather(studentTexts, idx) : student.encodeText(rows.map((i) => ids[i].slice())),
      }
    },
    dispose: () => {
      if (studentTexts !== undefined && studentTexts !== teacherTexts) studentTexts.dispose()
      if (teacherFeatures === undefined) teacherTexts.dispose()
    },
  }
}
