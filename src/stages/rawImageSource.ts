/**
 * Raw 8-bit images as the tensors a method trains on: the one step between
 * an opened experiment and the model that needs TensorFlow.js (stages load
 * it inside `run`).
 *
 * @since 0.1.0
 */
import { preprocessPixels } from "../clip/preprocess.js"
import type { ImageSet } from "../data/ImageSet.js"
import type { ImageSource } from "../methods/data.js"

/**
 * A methods `ImageSource` over raw images held as bytes: each batch is
 * preprocessed (resized when the model's resolution differs, normalised) on
 * demand, so only the 8-bit images stay in memory. `view` maps the source's
 * indices to image indices (e.g. one image per caption when pretraining on
 * several captions per image).
 *
 * @since 0.1.0
 * @category constructors
 */
export const rawImageSource = (
  set: Pick<ImageSet, "height" | "width" | "channels">,
  raw: Uint8Array,
  modelSize: number,
  view?: { readonly size: number; readonly imageOf: (i: number) => number }
): ImageSource => {
  const per = set.height * set.width * set.channels
  const v = view ?? { size: Math.floor(raw.length / per), imageOf: (i: number) => i }
  return {
    size: v.size,
    batch: (indices) => {
      const out = new Uint8Array(indices.length * per)
      indices.forEach((i, k) => {
        const j = v.imageOf(i)
        out.set(raw.subarray(j * per, (j + 1) * per), k * per)
      })
      return preprocessPixels(out, { count: indices.length, height: set.height, width: set.width, channels: set.channels }, modelSize)
    }
  }
}
