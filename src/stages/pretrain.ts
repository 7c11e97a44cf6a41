/**
 * `pretrain`: contrastive CLIP training from scratch (symmetric InfoNCE,
 * learnable logit scale clamped at 100) on a source's image-caption pairs.
 * Every caption of an image is a training pair of its own.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { createClip } from "../clip/model.js"
import { checkpoint, stage } from "../dsl/index.js"
import { pretrain as contrastivePretrain } from "../methods/pretrain.js"
import { DataParams, openExperiment, readAll, tokens } from "./experiment.js"
import { rawImageSource } from "./rawImageSource.js"
import { trainHooks } from "./io.js"
import { ModelParams, modelConfig, TrainParams, trainOptions } from "./params.js"
import { moduleSources } from "../dsl/moduleSources.js"

/** @since 0.1.0 @category stages */
export const pretrain = stage({
  name: "pretrain",
  version: 1,
  params: Schema.Struct({
    data: DataParams,
    model: ModelParams,
    train: Schema.optionalWith(TrainParams, { default: () => ({}) })
  }),
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params, seed, ctx }) => {
    const exp = await openExperiment(params.data)
    if (exp.pretrain === undefined) throw new Error(`data source ${exp.name} has no image-caption pairs to pretrain on`)
    const set = exp.pretrain
    const config = modelConfig(params.model)
    const k = Math.min(...set.captions.map((c) => c.length))
    ctx.log(`pretraining on ${set.size} images x ${k} captions of ${exp.name}`)
    const raw = await readAll(set)
    const texts = tokens(
      Array.from({ length: set.size * k }, (_, i) => set.captions[i % set.size]![Math.floor(i / set.size)]!),
      config.contextLength
    )
    const images = rawImageSource(set, raw, config.imageSize, { size: set.size * k, imageOf: (i) => i % set.size })
    const model = createClip(config, seed)
    try {
      await contrastivePretrain(model, { images, texts }, trainOptions(params.train, "pretrain", seed), trainHooks(ctx, "pretrain"))
      return model.toSafetensors()
    } finally {
      model.dispose()
    }
  }
})
