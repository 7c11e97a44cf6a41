/**
 * The parameter inventory of a CLIP configuration: every tensor's Hugging
 * Face name, shape and initial distribution. The model, the weight loaders
 * and the trainable-part selection all read this one list, so they cannot
 * disagree about names.
 *
 * Initialisation follows OpenAI's `CLIP.initialize_parameters`, applied to
 * both towers: token embedding N(0, 0.02), text positions N(0, 0.01),
 * class token / vision positions / projections N(0, width^-0.5), attention
 * in-projections N(0, width^-0.5), out-projections and second MLP layers
 * N(0, width^-0.5 (2 layers)^-0.5), first MLP layers N(0, (2 width)^-0.5),
 * the patch kernel N(0, (3 p^2)^-0.5), biases 0, norms 1 / 0 and
 * `logit_scale = ln(1 / 0.07)`.
 *
 * @since 0.1.0
 */
import { textMlpWidth, visionMlpWidth, type ClipConfig } from "./config.js"

/**
 * How a parameter starts in a fresh model.
 *
 * @since 0.1.0
 * @category models
 */
export type ParamInit =
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "constant"; readonly value: number }

/**
 * One parameter: name, shape, initialiser, and the tower / block it belongs
 * to (for choosing what to train).
 *
 * @since 0.1.0
 * @category models
 */
export interface ParamSpec {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly init: ParamInit
  readonly tower: "image" | "text" | "shared"
  /** Block index for parameters inside a residual block. */
  readonly block?: number
}

const normal = (std: number): ParamInit => ({ kind: "normal", std })
const constant = (value: number): ParamInit => ({ kind: "constant", value })

const blockSpecs = (prefix: string, tower: "image" | "text", width: number, mlp: number, layers: number): ParamSpec[] => {
  const attnStd = width ** -0.5
  const projStd = width ** -0.5 * (2 * layers) ** -0.5
  const fcStd = (2 * width) ** -0.5
  const out: ParamSpec[] = []
  for (let i = 0; i < layers; i++) {
    const p = `${prefix}.encoder.layers.${i}.`
    const add = (name: string, shape: number[], init: ParamInit) => out.push({ name: p + name, shape, init, tower, block: i })
    add("layer_norm1.weight", [width], constant(1))
    add("layer_norm1.bias", [width], constant(0))
    for (const n of ["q_proj", "k_proj", "v_proj"]) {
      add(`self_attn.${n}.weight`, [width, width], normal(attnStd))
      add(`self_attn.${n}.bias`, [width], constant(0))
    }
    add("self_attn.out_proj.weight", [width, width], normal(projStd))
    add("self_attn.out_proj.bias", [width], constant(0))
    add("layer_norm2.weight", [width], constant(1))
    add("layer_norm2.bias", [width], constant(0))
    add("mlp.fc1.weight", [mlp, width], normal(fcStd))
    add("mlp.fc1.bias", [mlp], constant(0))
    add("mlp.fc2.weight", [width, mlp], normal(projStd))
    add("mlp.fc2.bias", [width], constant(0))
  }
  return out
}

/**
 * Every parameter of a model with this configuration, in a fixed order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const paramSpecs = (c: ClipConfig): ParamSpec[] => {
  const vw = c.visionWidth
  const tw = c.textWidth
  const g = c.imageSize / c.patchSize
  const image = (name: string, shape: number[], init: ParamInit): ParamSpec => ({ name, shape, init, tower: "image" })
  const text = (name: string, shape: number[], init: ParamInit): ParamSpec => ({ name, shape, init, tower: "text" })
  return [
    image("vision_model.embeddings.class_embedding", [vw], normal(vw ** -0.5)),
    image("vision_model.embeddings.patch_embedding.weight", [vw, 3, c.patchSize, c.patchSize], normal((3 * c.patchSize ** 2) ** -0.5)),
    image("vision_model.embeddings.position_embedding.weight", [g * g + 1, vw], normal(vw ** -0.5)),
    image("vision_model.pre_layrnorm.weight", [vw], constant(1)),
    image("vision_model.pre_layrnorm.bias", [vw], constant(0)),
    ...blockSpecs("vision_model", "image", vw, visionMlpWidth(c), c.visionLayers),
    image("vision_model.post_layernorm.weight", [vw], constant(1)),
    image("vision_model.post_layernorm.bias", [vw], constant(0)),
    image("visual_projection.weight", [c.embedDim, vw], normal(vw ** -0.5)),
    text("text_model.embeddings.token_embedding.weight", [c.vocabSize, tw], normal(0.02)),
    text("text_model.embeddings.position_embedding.weight", [c.contextLength, tw], normal(0.01)),
    ...blockSpecs("text_model", "text", tw, textMlpWidth(c), c.textLayers),
    text("text_model.final_layer_norm.weight", [tw], constant(1)),
    text("text_model.final_layer_norm.bias", [tw], constant(0)),
    text("text_projection.weight", [c.embedDim, tw], normal(tw ** -0.5)),
    { name: "logit_scale", shape: [], init: constant(Math.log(1 / 0.07)), tower: "shared" }
  ]
}
