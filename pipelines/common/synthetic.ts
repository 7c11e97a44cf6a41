/**
 * What the synthetic-world pipelines (quickstart, tradeoff, ablation-vrlwf)
 * share: the world, the small model and its pretraining. One definition
 * keeps their pretraining stages identical (one cache key), so on one cache
 * the pretrained model is computed once for all of them.
 */
import type { CheckpointHandle, PipelineBuilder } from "clipcl/dsl"
import { pretrain } from "clipcl/stages"

/** The synthetic caption world drawn with `seed` (6,000 pretraining images x 2 captions). */
export const syntheticData = (seed = 0) => ({ source: "synthetic" as const, seed, pretrainSize: 6000, pretrainCaptions: 2 })

/** A small ViT-CLIP that trains in minutes on two CPU cores. */
export const smallModel = {
  imageSize: 32, patchSize: 8, visionWidth: 64, visionLayers: 2, visionHeads: 2,
  textWidth: 64, textLayers: 2, textHeads: 2, embedDim: 64, contextLength: 24
}

/** The `pretrain` stage every synthetic study starts from. */
export const addPretrain = (p: PipelineBuilder, seed = 0): CheckpointHandle =>
  p.add(pretrain, { name: "pretrain", params: { data: syntheticData(seed), model: smallModel, train: { epochs: 3, batchSize: 128, learningRate: 2e-3 } } })
