/**
 * The pretrain stage's computation (see `../pretrain.ts`), loaded when the
 * stage runs.
 *
 * @since 0.1.0
 */
import { createClip } from "../../clip/model.js"
import type { StageContext } from "../../dsl/Stage.js"
import { pretrain as contrastivePretrain } from "../../methods/pretrain.js"
import { openExperiment, readAll, tokens } from "../experiment.js"
import { rawImageSource } from "../rawImageSource.js"
import { trainHooks } from "../io.js"
import { modelConfig, trainOptions } from "../params.js"
import type { PretrainParams } from "../pretrain.js"

/**
 * A CLIP model pretrained on the source's image-caption pairs, as safetensors bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const pretrainModel = async (params: PretrainParams, seed: number, ctx: StageContext): Promise<AsyncIterable<Uint8Array>> => {
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
    return model.toSafetensorsStream()
  } finally {
    model.dispose()
  }
}
