/**
 * A frozen teacher's image features, computed once instead of at every step.
 * Training uses no augmentation and CLIP's forward pass has no dropout or
 * other randomness, so within a session the teacher's features of a fixed
 * image set (the session's images, iCaRL's replay memory, ZSCL's reference
 * images) never change: {@link embedImages} encodes the set once (the
 * `distill` stage caches it), and {@link teacherImages} hands a method the
 * rows of a batch, gathered from those features or, when there are none,
 * by running the teacher on the batch as before.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import type { ImageSource } from "./data.js"
import { ShapeMismatchError } from "./errors.js"
import type { MethodModel } from "./model.js"

/**
 * A teacher's image features of every row of one image set, in order
 * (projected, unnormalised), and its `exp(logit_scale)`. The caller owns
 * both tensors.
 *
 * @since 0.1.0
 * @category models
 */
export interface TeacherImageFeatures {
  readonly features: tf.Tensor2D
  readonly scale: tf.Scalar
}

/**
 * What a method reads of its teacher on one image set: the features of the
 * rows of a batch, and the teacher's scale.
 *
 * @since 0.1.0
 * @category models
 */
export interface TeacherImages {
  /** Teacher features of rows `indices` of the set; `images` is that batch (encoded only when nothing was precomputed). */
  readonly encode: (indices: ReadonlyArray<number>, images: tf.Tensor4D) => tf.Tensor2D
  /** The teacher's exp(logit_scale). */
  readonly scale: tf.Scalar
  readonly dispose: () => void
}

/**
 * The teacher's view of an image set of `size` rows: gathered from
 * `precomputed` (checked to have one row per image) or, without it, the
 * `teacher` model (read here, at setup) run on each batch. `what` names the
 * option in errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const teacherImages = (
  method: string,
  what: string,
  size: number,
  teacher: () => MethodModel,
  precomputed: TeacherImageFeatures | undefined,
): TeacherImages => {
  if (precomputed === undefined) {
    const model = teacher()
    const scale = tf.tidy(() => model.logitScaleTensor())
    return { encode: (_, images) => model.encodeImage(images), scale, dispose: () => scale.dispose() }
  }
  const { features, scale } = precomputed
  if (features.rank !== 2 || features.shape[0] !== size) {
    throw new ShapeMismatchError({ method, tensor: what, expected: `[${size}, embedDim] (one row per image)`, actual: features.shape })
  }
  if (scale.rank !== 0) throw new ShapeMismatchError({ method, tensor: `${what} scale`, expected: "[] (a scalar)", actual: scale.shape })
  return {
    encode: (indices) => tf.gather(features, tf.tensor1d(indices as number[], "int32")),
    scale,
    dispose: () => {},
  }
}

/**
 * Encode every image of `images` with a frozen `model`, `batchSize` at a
 * time and outside any gradient tape; `onBatch` after each batch, and
 * `signal` checked between them (an aborted run rejects with its reason).
 *
 * @since 0.1.0
 * @category constructors
 */
export const embedImages = async (
  model: MethodModel,
  images: ImageSource,
  options: { readonly batchSize?: number; readonly onBatch?: (done: number, total: number) => void; readonly signal?: AbortSignal } = {},
): Promise<TeacherImageFeatures> => {
  const batchSize = options.batchSize ?? 64
  const width = model.config.embedDim
  const out = new Float32Array(images.size * width)
  for (let start = 0; start < images.size; start += batchSize) {
    options.signal?.throwIfAborted()
    const rows = Array.from({ length: Math.min(batchSize, images.size - start) }, (_, i) => start + i)
    const f = tf.tidy(() => model.encodeImage(images.batch(rows)))
    out.set((await f.data()) as Float32Array, start * width)
    f.dispose()
    options.onBatch?.(start + rows.length, images.size)
  }
  return { features: tf.tensor2d(out, [images.size, width]), scale: tf.tidy(() => model.logitScaleTensor()) }
}
