/**
 * Batched inference: embed any number of images or texts a batch at a time,
 * each batch inside its own `tf.tidy`, copying its result to the host, so
 * the number of live tensors does not grow with the data set (a 10,000-image
 * evaluation holds one batch of activations at a time).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { ClipInputError } from "./errors.js"
import type { ClipModel } from "./model.js"
import { l2Normalize } from "./similarity.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface EmbedOptions {
  /** L2-normalise each embedding (default false: projected, unnormalised features). */
  readonly normalize?: boolean
  /** Called after each batch with the rows done so far and the total. */
  readonly onBatch?: (done: number, total: number) => void
}

const checkBatchSize = (batchSize: number): void => {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ClipInputError({ tensor: "batchSize", reason: `${batchSize} is not a positive integer` })
  }
}

const run = (
  total: number,
  dim: number,
  batchSize: number,
  encode: (start: number, size: number) => tf.Tensor2D,
  options: EmbedOptions
): Float32Array => {
  checkBatchSize(batchSize)
  const out = new Float32Array(total * dim)
  for (let start = 0; start < total; start += batchSize) {
    const size = Math.min(batchSize, total - start)
    const rows = tf.tidy(() => {
      const f = encode(start, size)
      return (options.normalize === true ? l2Normalize(f) : f).dataSync()
    })
    out.set(rows, start * dim)
    options.onBatch?.(start + size, total)
  }
  return out
}

/**
 * Image embeddings [n, embedDim] of NHWC pixels, `batchSize` images at a
 * time. The input is not disposed.
 *
 * @since 0.1.0
 * @category combinators
 */
export const embedImages = (model: ClipModel, pixels: tf.Tensor4D, batchSize = 32, options: EmbedOptions = {}): tf.Tensor2D => {
  const n = pixels.shape[0]
  const d = model.config.embedDim
  const data = run(n, d, batchSize, (start, size) => model.encodeImage(tf.slice(pixels, [start, 0, 0, 0], [size, -1, -1, -1])), options)
  return tf.tensor2d(data, [n, d])
}

/**
 * Text embeddings [n, embedDim] of token-id rows, `batchSize` rows at a time.
 *
 * @since 0.1.0
 * @category combinators
 */
export const embedTexts = (model: ClipModel, ids: ReadonlyArray<number[]>, batchSize = 256, options: EmbedOptions = {}): tf.Tensor2D => {
  const n = ids.length
  const d = model.config.embedDim
  const data = run(n, d, batchSize, (start, size) => model.encodeText(ids.slice(start, start + size)), options)
  return tf.tensor2d(data, [n, d])
}

/**
 * Image embeddings of batches produced one at a time (a data reader that
 * decodes as it goes); each batch is disposed once embedded. Yields to the
 * event loop between batches so progress can be shown.
 *
 * @since 0.1.0
 * @category combinators
 */
export const embedImageBatches = async (
  model: ClipModel,
  batches: AsyncIterable<tf.Tensor4D> | Iterable<tf.Tensor4D>,
  options: EmbedOptions = {}
): Promise<tf.Tensor2D> => {
  const d = model.config.embedDim
  const parts: Float32Array[] = []
  let done = 0
  for await (const batch of batches) {
    const rows = tf.tidy(() => {
      const f = model.encodeImage(batch)
      return (options.normalize === true ? l2Normalize(f) : f).dataSync() as Float32Array
    })
    done += batch.shape[0]
    batch.dispose()
    parts.push(rows)
    options.onBatch?.(done, done)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const out = new Float32Array(done * d)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return tf.tensor2d(out, [done, d])
}
