/**
 * Distillation between a teacher's and a student's logits over the same
 * candidates, in the two forms the compared methods use.
 *
 * - {@link klDivergence}: `mean_i KL(softmax(t_i/T) || softmax(s_i/T))`, as LwF
 *   and VR-LwF (the paper) write it.
 * - {@link softCrossEntropy}: `T^2 * mean_i CE(softmax(t_i/T), softmax(s_i/T))`,
 *   ZSCL's `distillation()`: it differs from KL by the teacher's entropy (a
 *   constant: same gradients) and by the usual `T^2` gradient rescaling.
 *
 * The teacher's logits carry no gradient (compute them from a frozen model).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { InvalidOptionError, ShapeMismatchError } from "./errors.js"

const check = (method: string, teacher: tf.Tensor2D, student: tf.Tensor2D, temperature: number): void => {
  if (teacher.rank !== 2 || teacher.shape[0] !== student.shape[0] || teacher.shape[1] !== student.shape[1]) {
    throw new ShapeMismatchError({ method, tensor: "student", expected: `[${teacher.shape.join(", ")}] (teacher's shape)`, actual: student.shape })
  }
  if (!(temperature > 0)) throw new InvalidOptionError({ method, option: "temperature", reason: `must be > 0, got ${temperature}` })
}

/**
 * Batch mean of `KL(softmax(teacher/T) || softmax(student/T))` over rows.
 *
 * @since 0.1.0
 * @category losses
 */
export const klDivergence = (teacher: tf.Tensor2D, student: tf.Tensor2D, temperature = 1): tf.Scalar =>
  tf.tidy("klDivergence", () => {
    check("klDivergence", teacher, student, temperature)
    const logP = tf.logSoftmax(tf.div(teacher, temperature))
    const logQ = tf.logSoftmax(tf.div(student, temperature))
    return tf.mean(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1)) as tf.Scalar
  })

/**
 * ZSCL's distillation: `T^2 * mean_i sum_j -softmax(t_i/T)_j log softmax(s_i/T)_j`.
 *
 * @since 0.1.0
 * @category losses
 */
export const softCrossEntropy = (teacher: tf.Tensor2D, student: tf.Tensor2D, temperature = 2): tf.Scalar =>
  tf.tidy("softCrossEntropy", () => {
    check("softCrossEntropy", teacher, student, temperature)
    const p = tf.softmax(tf.div(teacher, temperature))
    const logQ = tf.logSoftmax(tf.div(student, temperature))
    return tf.mul(tf.neg(tf.mean(tf.sum(tf.mul(p, logQ), 1))), temperature * temperature) as tf.Scalar
  })

/**
 * Distillation in both directions of an image-text logit matrix: rows
 * (image -> text) and columns (text -> image), summed, as ZSCL does.
 *
 * @since 0.1.0
 * @category losses
 */
export const bidirectionalDistillation = (teacher: tf.Tensor2D, student: tf.Tensor2D, temperature = 2): tf.Scalar =>
  tf.tidy("bidirectionalDistillation", () =>
    tf.add(
      softCrossEntropy(teacher, student, temperature),
      softCrossEntropy(tf.transpose(teacher) as tf.Tensor2D, tf.transpose(student) as tf.Tensor2D, temperature),
    ) as tf.Scalar)
