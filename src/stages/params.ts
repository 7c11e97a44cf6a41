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
import { smallFinetuneDefaults, smallPretrainDefaults, type TrainOptions } from "../methods/trainOptions.js"
import { NonNegativeInt, PositiveInt } from "../schemas.js"

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
  maxSteps: Schema.optional(PositiveInt),
  /**
   * Train to a target-accuracy plateau: stop once accuracy on held-out
   * session images has not improved by more than `minDelta` for `patience`
   * epochs (`epochs` is then the maximum), so each method gets the schedule
   * it needs rather than one fixed for all.
   */
  patience: Schema.optional(PositiveInt),
  minDelta: Schema.optional(Schema.Number.pipe(Schema.nonNegative())),
  /** Fraction of each session class's images held out for the plateau score (default 0.1 with `patience`). */
  validation: Schema.optional(Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThan(1)))
})

/**
 * The held-out fraction of a session's images (0 without a plateau schedule).
 *
 * @since 0.1.0
 * @category utils
 */
export const validationFraction = (p: typeof TrainParams.Type): number =>
  p.validation ?? (p.patience === undefined ? 0 : 0.1)

/** @since 0.1.0 @category utils */
export const trainOptions = (p: typeof TrainParams.Type, kind: "pretrain" | "finetune", seed: number): TrainOptions => {
  const base = kind === "pretrain" ? smallPretrainDefaults : smallFinetuneDefaults
  const set = Object.fromEntries(Object.entries(p).filter(([k, v]) => v !== undefined && k !== "validation"))
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
