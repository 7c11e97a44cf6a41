/**
 * iCaRL-style exemplar replay (Rebuffi et al., CVPR 2017) adapted to CLIP:
 *
 * - exemplars per class chosen by herding on L2-normalised image features
 *   ({@link herding}): greedily add the sample that keeps the exemplars'
 *   mean closest to the class mean;
 * - training: each step adds CE on a batch of exemplars (over the class
 *   prompts seen so far) and distillation of the previous model's
 *   distributions on those exemplars (KL, temperature T) — iCaRL's sigmoid
 *   distillation becomes the softmax KL that fits CLIP's prompt classifier
 *   (our simplification, documented);
 * - optional nearest-mean-of-exemplars classification
 *   ({@link nearestMeanClassify}) instead of the prompt classifier.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { crossEntropy } from "./crossEntropy.js"
import type { ImageSource } from "./data.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { InvalidOptionError } from "./errors.js"
import { classTeacher, lwfLoss } from "./lwf.js"
import type { ExtraLoss, Method } from "./method.js"
import type { MethodModel } from "./model.js"
import { IcarlOptions as IcarlSchema } from "./options.js"
import type { ReplayMemory } from "./replay.js"
import { l2Normalize, similarityLogits } from "./similarity.js"
import { teacherImages, type TeacherImageFeatures } from "./teacher.js"
import { sampleIndices } from "./vocabulary.js"

const normalizeRows = (rows: ReadonlyArray<ReadonlyArray<number>>): number[][] =>
  rows.map((r) => {
    const n = Math.sqrt(r.reduce((s, x) => s + x * x, 0)) || 1
    return r.map((x) => x / n)
  })

/**
 * Herding selection: indices (into `features`) of `m` exemplars, in the
 * order chosen. Step k picks the sample i (not yet chosen) minimising
 * `|mu - (sum of chosen + phi_i) / k|`, features L2-normalised first.
 *
 * @since 0.1.0
 * @category utils
 */
export const herding = (features: ReadonlyArray<ReadonlyArray<number>>, m: number): number[] => {
  const phi = normalizeRows(features)
  const n = phi.length
  const d = n === 0 ? 0 : phi[0].length
  const mu = new Array<number>(d).fill(0)
  phi.forEach((r) => r.forEach((x, j) => (mu[j] += x / n)))
  const chosen: number[] = []
  const sum = new Array<number>(d).fill(0)
  const used = new Set<number>()
  for (let k = 1; k <= Math.min(m, n); k++) {
    let best = -1
    let bestDist = Infinity
    for (let i = 0; i < n; i++) {
      if (used.has(i)) continue
      let dist = 0
      for (let j = 0; j < d; j++) {
        const diff = mu[j] - (sum[j] + phi[i][j]) / k
        dist += diff * diff
      }
      if (dist < bestDist) {
        bestDist = dist
        best = i
      }
    }
    used.add(best)
    chosen.push(best)
    phi[best].forEach((x, j) => (sum[j] += x))
  }
  return chosen
}

/**
 * Choose `perClass` exemplars of each class of a session by herding on the
 * model's image features; returns indices into `images`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const selectExemplars = (
  model: MethodModel,
  images: ImageSource,
  labels: ReadonlyArray<number>,
  perClass: number,
  batchSize = 64,
): number[] => {
  if (!(Number.isInteger(perClass) && perClass >= 1)) {
    throw new InvalidOptionError({ method: "iCaRL", option: "perClass", reason: `must be a positive integer, got ${perClass}` })
  }
  const feats: number[][] = []
  for (let start = 0; start < images.size; start += batchSize) {
    const rows = Array.from({ length: Math.min(batchSize, images.size - start) }, (_, i) => start + i)
    const f = tf.tidy(() => model.encodeImage(images.batch(rows)).arraySync() as number[][])
    feats.push(...f)
  }
  const byClass = new Map<number, number[]>()
  labels.forEach((y, i) => byClass.set(y, [...(byClass.get(y) ?? []), i]))
  return [...byClass.keys()].sort((a, b) => a - b).flatMap((y) => {
    const rows = byClass.get(y)!
    return herding(rows.map((i) => feats[i]), perClass).map((j) => rows[j])
  })
}

/**
 * Class means of L2-normalised exemplar features (each mean renormalised),
 * one row per class id 0..classes-1 (zeros for a class without exemplars).
 *
 * @since 0.1.0
 * @category utils
 */
export const classMeans = (features: ReadonlyArray<ReadonlyArray<number>>, labels: ReadonlyArray<number>, classes: number): number[][] => {
  const phi = normalizeRows(features)
  const d = phi.length === 0 ? 0 : phi[0].length
  const sums = Array.from({ length: classes }, () => new Array<number>(d).fill(0))
  phi.forEach((r, i) => r.forEach((x, j) => (sums[labels[i]][j] += x)))
  return sums.map((s) => (s.every((x) => x === 0) ? s : normalizeRows([s])[0]))
}

/**
 * Nearest-mean-of-exemplars classification: for each (normalised) feature
 * the class whose mean is closest (equivalently: highest cosine).
 *
 * @since 0.1.0
 * @category utils
 */
export const nearestMeanClassify = (features: tf.Tensor2D, means: ReadonlyArray<ReadonlyArray<number>>): number[] =>
  tf.tidy("nearestMeanClassify", () => {
    const m = tf.tensor2d(means as number[][])
    // |f - mu|^2 = 2 - 2 f.mu for unit vectors; a class without exemplars (all-zero mean) is never chosen.
    const empty = tf.tensor1d(means.map((r) => (r.every((x) => x === 0) ? 1e9 : 0)))
    const d = tf.add(tf.sub(tf.sum(tf.square(m), 1), tf.mul(tf.matMul(l2Normalize(features), m, false, true), 2)), empty)
    return Array.from(tf.argMin(d, 1).dataSync())
  })

/**
 * @since 0.1.0
 * @category models
 */
export type IcarlOptions = Omit<OptionsOf<typeof IcarlSchema>, "memoryPerClass"> & {
  readonly memory: ReplayMemory
  /** Exemplars per step (default: the batch size). */
  readonly memoryBatch?: number
  /** The previous model's features of `memory.images`, row by row, computed once (`embedImages`); the caller owns them. */
  readonly teacherImages?: TeacherImageFeatures
}

/**
 * iCaRL-style replay as a method (no-op while the memory is empty).
 *
 * @since 0.1.0
 * @category constructors
 */
export const icarl = (options: Partial<IcarlOptions> & { readonly memory: ReplayMemory }): Method => {
  const { memoryPerClass: _m, ...defaults } = defaultsOf(IcarlSchema)
  const o = { ...defaults, ...options }
  return {
    name: "iCaRL",
    setup: (s) => {
      const memory = o.memory
      if (memory.images.size === 0) return { dispose: () => {} }
      const images = teacherImages("iCaRL", "teacherImages", memory.images.size, () => s.previous, o.teacherImages)
      const teacher = classTeacher(s.previous, s.session.classTokens, images)
      const k = o.memoryBatch ?? s.batchSize
      return {
        extraLoss: (input): ExtraLoss => {
          const rows = sampleIndices(s.rng, memory.images.size, k)
          const batch = memory.images.batch(rows)
          const logits = similarityLogits(s.model.encodeImage(batch), input.classTexts, input.studentScale)
          const replay = crossEntropy(logits, rows.map((r) => memory.labels[r]))
          const distill = lwfLoss(teacher.logits(rows, batch), logits, o.temperature)
          return { loss: tf.add(replay, tf.mul(distill, o.distillWeight)) as tf.Scalar, metrics: { replay, distill } }
        },
        dispose: () => {
          teacher.dispose()
          images.dispose()
        },
      }
    },
  }
}
