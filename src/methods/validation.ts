/**
 * The validation score a session trains to a plateau on: top-1 accuracy of
 * the image-to-class-prompt classifier over the classes seen so far, on
 * images held out of the session's training data. Computed without a
 * gradient tape, in batches, so it costs one forward pass of the held-out
 * images per epoch.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { tokenRows, type ImageSource } from "./data.js"
import type { MethodModel } from "./model.js"

/**
 * Top-1 accuracy of `model` on `images` against the class prompts `classTokens`.
 *
 * @since 0.1.0
 * @category utils
 */
export const promptAccuracy = (
  model: MethodModel,
  images: ImageSource,
  labels: ReadonlyArray<number>,
  classTokens: ReadonlyArray<ReadonlyArray<number>>,
  batchSize = 128
): number => {
  if (images.size === 0) return 0
  const texts = tf.tidy(() => {
    const t = model.encodeText(tokenRows(classTokens))
    return tf.keep(tf.div(t, tf.norm(t, "euclidean", 1, true)))
  })
  let correct = 0
  try {
    for (let start = 0; start < images.size; start += batchSize) {
      const indices = Array.from({ length: Math.min(batchSize, images.size - start) }, (_, k) => start + k)
      const predicted = tf.tidy(() => {
        const pixels = images.batch(indices)
        const f = model.encodeImage(pixels)
        return tf.argMax(tf.matMul(f, texts, false, true), 1).dataSync()
      })
      indices.forEach((i, k) => {
        if (predicted[k] === labels[i]) correct += 1
      })
    }
  } finally {
    texts.dispose()
  }
  return correct / images.size
}
