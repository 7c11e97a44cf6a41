/**
 * CLIP's image tower: a ViT with a bias-free patch embedding, a class token,
 * learned positional embeddings, a pre-norm (`pre_layrnorm`, Hugging Face's
 * spelling), residual blocks, a post-norm on the class token and a
 * projection without bias.
 *
 * The patch embedding is the convolution `conv1` (kernel = stride = patch)
 * written as a reshape, a transpose and one matMul: exactly the same sums,
 * faster on the CPU backends, and available on every backend with a
 * gradient.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import type { ParamLookup } from "./attention.js"
import type { ClipConfig } from "./config.js"
import { ClipInputError } from "./errors.js"
import { layerNorm } from "./layerNorm.js"
import { linear } from "./linear.js"
import { residualBlock } from "./residualBlock.js"

/**
 * Splits NHWC images into rows of flattened patches, each ordered
 * (channel, row, column) like the rows of a flattened conv kernel
 * `[out, C, p, p]`: result [n * g * g, C * p * p].
 *
 * @since 0.1.0
 * @category combinators
 */
export const patchify = (pixels: tf.Tensor4D, patch: number): tf.Tensor2D => {
  const [n, h, w, c] = pixels.shape
  const gh = h / patch
  const gw = w / patch
  const six = tf.reshape(pixels, [n, gh, patch, gw, patch, c])
  return tf.reshape(tf.transpose(six, [0, 1, 3, 5, 2, 4]), [n * gh * gw, c * patch * patch])
}

/**
 * Projected, unnormalised image features [n, embedDim] of normalised NHWC
 * pixels [n, imageSize, imageSize, 3]. No tidy inside: callers wrap it, so
 * gradients survive.
 *
 * @since 0.1.0
 * @category combinators
 */
export const visionTransformer = (pixels: tf.Tensor4D, p: ParamLookup, config: ClipConfig): tf.Tensor2D => {
  const { imageSize: size, patchSize: patch, visionWidth: width } = config
  if (pixels.rank !== 4 || pixels.shape[1] !== size || pixels.shape[2] !== size || pixels.shape[3] !== 3) {
    throw new ClipInputError({
      tensor: "pixels",
      reason: `expected NHWC [n, ${size}, ${size}, 3], got [${pixels.shape.join(", ")}]`
    })
  }
  if (pixels.dtype !== "float32") {
    throw new ClipInputError({ tensor: "pixels", reason: `expected float32 (normalised), got ${pixels.dtype}` })
  }
  const n = pixels.shape[0]
  const g = size / patch
  const kernel = tf.reshape(p("vision_model.embeddings.patch_embedding.weight"), [width, 3 * patch * patch]) as tf.Tensor2D
  const patches = tf.reshape(linear(patchify(pixels, patch), kernel), [n, g * g, width])
  const cls = tf.tile(tf.reshape(p("vision_model.embeddings.class_embedding"), [1, 1, width]), [n, 1, 1])
  let x = tf.add(tf.concat([cls, patches], 1), p("vision_model.embeddings.position_embedding.weight")) as tf.Tensor3D
  const eps = config.layerNormEps
  x = layerNorm(x, p("vision_model.pre_layrnorm.weight") as tf.Tensor1D, p("vision_model.pre_layrnorm.bias") as tf.Tensor1D, eps)
  for (let i = 0; i < config.visionLayers; i++) {
    x = residualBlock(x, p, `vision_model.encoder.layers.${i}.`, { heads: config.visionHeads, activation: config.activation, eps })
  }
  const pooled = tf.reshape(tf.slice(x, [0, 0, 0], [n, 1, width]), [n, width]) as tf.Tensor2D
  const normed = layerNorm(pooled, p("vision_model.post_layernorm.weight") as tf.Tensor1D, p("vision_model.post_layernorm.bias") as tf.Tensor1D, eps)
  return linear(normed, p("visual_projection.weight") as tf.Tensor2D) as tf.Tensor2D
}
