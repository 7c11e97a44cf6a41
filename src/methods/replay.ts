/**
 * A replay memory of image-text pairs from earlier sessions (GEM, A-GEM,
 * iCaRL): images, and for each the index of its class prompt in the current
 * session's `classTokens` (classes seen so far), and the session it came from.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { crossEntropy } from "./crossEntropy.js"
import type { ImageSource } from "./data.js"
import type { MethodModel } from "./model.js"
import { similarityLogits } from "./similarity.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ReplayMemory {
  readonly images: ImageSource
  readonly labels: ReadonlyArray<number>
  /** 0-based session of each sample (GEM keeps one constraint per session). */
  readonly sessions: ReadonlyArray<number>
}

/**
 * An {@link ImageSource} restricted to `indices` of another (no copy).
 *
 * @since 0.1.0
 * @category constructors
 */
export const subsetSource = (source: ImageSource, indices: ReadonlyArray<number>): ImageSource => ({
  size: indices.length,
  batch: (rows) => source.batch(rows.map((r) => indices[r])),
})

/**
 * Concatenate image sources (sample i of the result is sample i - offset of
 * the source that holds it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const concatSources = (sources: ReadonlyArray<ImageSource>): ImageSource => {
  const offsets: number[] = []
  let size = 0
  for (const s of sources) {
    offsets.push(size)
    size += s.size
  }
  return {
    size,
    batch: (rows) =>
      tf.tidy(() => {
        const parts = rows.map((r) => {
          let k = offsets.length - 1
          while (offsets[k] > r) k--
          return sources[k].batch([r - offsets[k]])
        })
        return tf.concat(parts, 0) as tf.Tensor4D
      }),
  }
}

/**
 * Cross-entropy of memory samples `rows` over the class prompts whose
 * features are `classTexts` (the memory loss GEM constrains).
 *
 * @since 0.1.0
 * @category losses
 */
export const memoryLoss = (model: MethodModel, memory: ReplayMemory, rows: ReadonlyArray<number>, classTexts: tf.Tensor2D): tf.Scalar =>
  tf.tidy("memoryLoss", () => {
    const images = memory.images.batch(rows)
    const logits = similarityLogits(model.encodeImage(images), classTexts, model.logitScaleTensor())
    return crossEntropy(logits, rows.map((r) => memory.labels[r]))
  })

/**
 * Sum over variables of <a_i, b_i> (gradients aligned by variable), as a number.
 *
 * @since 0.1.0
 * @category utils
 */
export const gradDot = (a: ReadonlyArray<tf.Tensor | undefined>, b: ReadonlyArray<tf.Tensor | undefined>): number =>
  tf.tidy(() => {
    const terms: tf.Tensor[] = []
    a.forEach((x, i) => {
      const y = b[i]
      if (x !== undefined && y !== undefined) terms.push(tf.sum(tf.mul(x, y)))
    })
    return terms.length === 0 ? 0 : tf.addN(terms).dataSync()[0]
  })
