/**
 * The data a method trains on, as plain interfaces that a stage fills from
 * whatever reader produced it. Images are fetched per batch (`batch(indices)`)
 * so a data set never has to sit in memory as one tensor.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"

/**
 * A fixed-size collection of preprocessed images (NHWC, normalised as the
 * model expects).
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageSource {
  readonly size: number
  /** A new tensor [indices.length, H, W, C]; the caller disposes it. */
  batch(indices: ReadonlyArray<number>): tf.Tensor4D
}

/**
 * Image-text pairs for contrastive pretraining (`texts(i)` holds token ids
 * padded to the context length).
 *
 * @since 0.1.0
 * @category models
 */
export interface PairedData {
  readonly images: ImageSource
  readonly texts: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * One learning session of a continual-learning sequence.
 * `labels[i]` indexes `classTokens`, the tokenised class prompts of every
 * class seen so far (earlier sessions' classes first, then this session's),
 * which is also the candidate set of the CE and LwF distributions.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionData {
  /** 0-based position in the sequence (LwF terms start at index 1). */
  readonly index: number
  readonly images: ImageSource
  readonly labels: ReadonlyArray<number>
  readonly classTokens: ReadonlyArray<ReadonlyArray<number>>
  /**
   * Held-out images of the session's classes (labels index `classTokens`),
   * scored after each epoch when training to a plateau.
   */
  readonly validation?: { readonly images: ImageSource; readonly labels: ReadonlyArray<number> }
}

/**
 * An {@link ImageSource} over an in-memory tensor (it keeps a reference;
 * the caller still owns and disposes `images`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const imagesFromTensor = (images: tf.Tensor4D): ImageSource => ({
  size: images.shape[0],
  batch: (indices) => tf.tidy(() => tf.gather(images, tf.tensor1d(indices as number[], "int32")) as tf.Tensor4D),
})

/**
 * Token rows as the mutable arrays `encodeText` takes.
 *
 * @since 0.1.0
 * @category utils
 */
export const tokenRows = (rows: ReadonlyArray<ReadonlyArray<number>>): number[][] => rows.map((r) => r.slice())
