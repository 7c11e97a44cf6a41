/**
 * `pretrain`: contrastive CLIP training from scratch (symmetric InfoNCE,
 * learnable logit scale clamped at 100) on a source's image-caption pairs.
 * Every caption of an image is a training pair of its own.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { checkpoint, stage } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"
import { DataParams } from "./experiment.js"
import { ModelParams, TrainParams } from "./params.js"

const Params = Schema.Struct({
  data: DataParams,
  model: ModelParams,
  train: Schema.optionalWith(TrainParams, { default: () => ({}) })
})

/**
 * The decoded parameters of a pretrain stage.
 *
 * @since 0.1.0
 * @category models
 */
export type PretrainParams = typeof Params.Type

/** @since 0.1.0 @category stages */
export const pretrain = stage({
  name: "pretrain",
  version: 1,
  params: Params,
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params, seed, ctx }) => {
    // The science loads when the stage runs, not when a pipeline is planned.
    const { pretrainModel } = await import("./internal/pretrain.js")
    return pretrainModel(params, seed, ctx)
  }
})
