/**
 * Parameter schemas shared by the stage kinds: the model, the training
 * schedule and the part of CLIP to tune. Every field is validated before
 * anything runs; defaults are filled in here so the cache key hashes the
 * decoded (complete) parameters, not what happened to be written.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { customConfig, namedConfigs, type ClipConfig } from "../clip/config.js"
import { smallFinetuneDefaults, smallPretrainDefaults, type TrainOptions } from "../methods/train.js"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())

/**
 * A named configuration ("ViT-B/32", ...) or the fields of a custom one
 * (missing fields take `customConfig`'s small defaults).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ModelParams = Schema.Union(
  Schema.Literal("ViT-B/32", "ViT-B/16", "ViT-L/14", "ViT-L/14@336px"),
  Schema.Struct({
    imageSize: Schema.optional(PositiveInt),
    patchSize: Schema.optional(PositiveInt),
    visionWidth: Schema.optional(PositiveInt),
    visionLayers: Schema.optional(PositiveInt),
    visionHeads: Schema.optional(PositiveInt),
    textWidth: Schema.optional(PositiveInt),
    textLayers: Schema.optional(PositiveInt),
    textHeads: Schema.optional(PositiveInt),
    embedDim: Schema.optional(PositiveInt),
    contextLength: Schema.optional(PositiveInt),
    activation: Schema.optional(Schema.Literal("quick_gelu", "gelu"))
  })
)

/** @since 0.1.0 @category utils */
export const modelConfig = (p: typeof ModelParams.Type): ClipConfig =>
  typeof p === "string" ? namedConfigs[p]! : customConfig(p)

/**
 * The training schedule; unset fields take the defaults of the stage kind
 * (`smallPretrainDefaults` / `smallFinetuneDefaults`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const TrainParams = Schema.Struct({
  learningRate: Schema.optional(Schema.Number.pipe(Schema.positive())),
  epochs: Schema.optional(PositiveInt),
  batchSize: Schema.optional(PositiveInt),
  clipNorm: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  decayEvery: Schema.optional(NonNegativeInt),
  decayFactor: Schema.optional(Schema.Number.pipe(Schema.positive())),
  weightDecay: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  maxSteps: Schema.optional(PositiveInt)
})

/** @since 0.1.0 @category utils */
export const trainOptions = (p: typeof TrainParams.Type, kind: "pretrain" | "finetune", seed: number): TrainOptions => {
  const base = kind === "pretrain" ? smallPretrainDefaults : smallFinetuneDefaults
  const set = Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined))
  return { ...base, ...set, seed }
}

/**
 * Which part of CLIP a session tunes (the paper's "which part" study).
 *
 * @since 0.1.0
 * @category schemas
 */
export const PartParams = Schema.Struct({
  encoder: Schema.Literal("all", "image", "text"),
  topBlocks: Schema.optional(PositiveInt)
})
