/**
 * CLIP's text tower: token + positional embeddings, residual blocks under a
 * causal mask, a final norm, the features at the end-of-text position and a
 * projection without bias. The end-of-text position is the argmax of the ids
 * (the end token has the largest id in CLIP's vocabulary), as in OpenAI's
 * code and Hugging Face's legacy pooling.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { causalMask, type ParamLookup } from "./attention.js"
import type { ClipConfig } from "./config.js"
import { ClipInputError } from "./errors.js"
import { layerNorm } from "./layerNorm.js"
import { linear } from "./linear.js"
import { residualBlock } from "./residualBlock.js"

/**
 * Rows of `table` at integer `ids`, with a gradient computed by a scatter-add
 * (`scatterND` sums repeated ids), so training the token embedding needs no
 * `UnsortedSegmentSum` kernel (the wasm backend has none).
 *
 * @since 0.1.0
 * @category combinators
 */
export const embeddingLookup = (table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D => {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const t = args[0] as tf.Tensor2D
    const save = args[1] as tf.GradSaveFunc
    save([ids])
    return {
      value: tf.gather(t, ids),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy as tf.Tensor, table.shape)
    }
  })
  return f(table) as tf.Tensor2D
}

/**
 * Checks token ids against the configuration and returns them as an int32
 * tensor [n, length]: the rows cut after the last end-of-text position of
 * the batch. The cut is exact: under the causal mask the features at the
 * end-of-text position depend only on the ids before it, so the padding
 * after it (70 of 77 positions for a short prompt) need not be computed.
 *
 * @since 0.1.0
 * @category utils
 */
export const idsTensor = (ids: number[][] | tf.Tensor2D, config: ClipConfig): tf.Tensor2D => {
  const rows = Array.isArray(ids) ? ids : (ids.arraySync() as number[][])
  if (rows.length === 0) throw new ClipInputError({ tensor: "ids", reason: "no rows" })
  const length = rows[0]!.length
  if (length === 0 || length > config.contextLength) {
    throw new ClipInputError({ tensor: "ids", reason: `row length ${length} is not in [1, contextLength ${config.contextLength}]` })
  }
  let used = 1
  rows.forEach((row, i) => {
    if (row.length !== length) throw new ClipInputError({ tensor: "ids", reason: `row ${i} has ${row.length} ids, row 0 has ${length}` })
    let eot = 0
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
        throw new ClipInputError({ tensor: "ids", reason: `ids[${i}][${j}] = ${id} is not an integer in [0, vocabSize ${config.vocabSize})` })
      }
      if (id > row[eot]!) eot = j
    })
    used = Math.max(used, eot + 1)
  })
  return tf.tensor2d(used === length ? rows : rows.map((r) => r.slice(0, used)), [rows.length, used], "int32")
}

/**
 * Projected, unnormalised text features [n, embedDim] of token ids
 * [n, length]. No tidy inside: callers wrap it, so gradients survive.
 *
 * @since 0.1.0
 * @category combinators
 */
export const textTransformer = (ids: number[][] | tf.Tensor2D, p: ParamLookup, config: ClipConfig): tf.Tensor2D => {
  const idt = idsTensor(ids, config)
  const [n, length] = idt.shape
  const width = config.textWidth
  const tokens = embeddingLookup(p("text_model.embeddings.token_embedding.weight") as tf.Tensor2D, tf.reshape(idt, [-1]) as tf.Tensor1D)
  const positions = tf.slice(p("text_model.embeddings.position_embedding.weight"), [0, 0], [length, width])
  let x = tf.add(tf.reshape(tokens, [n, length, width]), positions) as tf.Tensor3D
  const mask = causalMask(length)
  const eps = config.layerNormEps
  for (let i = 0; i < config.textLayers; i++) {
    x = residualBlock(x, p, `text_model.encoder.layers.${i}.`, { heads: config.textHeads, activation: config.activation, eps, mask })
  }
  x = layerNorm(x, p("text_model.final_layer_norm.weight") as tf.Tensor1D, p("text_model.final_layer_norm.bias") as tf.Tensor1D, eps)
  const eot = tf.cast(tf.oneHot(tf.argMax(idt, 1), length), "float32") as tf.Tensor2D
  const pooled = tf.sum(tf.mul(x, tf.expandDims(eot, 2)), 1) as tf.Tensor2D
  return linear(pooled, p("text_projection.weight") as tf.Tensor2D) as tf.Tensor2D
}
