/**
 * Your own data set in a pipeline file: an image folder with a labels file
 * (`data/shapes`: `labels.csv` with columns file,label,split), registered
 * with `defineDataset` and then named like a built-in source,
 * `data: { source: "shapes-folder", ... }`. The study pretrains the small
 * CLIP on the synthetic caption world, learns the folder's 8 classes in 2
 * sessions, and measures what each method keeps of the world's zero-shot
 * colour task and caption retrieval.
 *
 *   clipcl run pipelines/custom-dataset.ts
 *   CLIPCL_SMOKE=1 clipcl run pipelines/custom-dataset.ts   # a seconds-long smoke run
 *
 * The data set's code (`open`'s text) is part of the cache key of the
 * stages that read it: editing `open` re-runs them, editing the study below
 * does not touch it. (`data/shapes` is written by
 * `scripts/make-shapes-folder.ts` from the synthetic world.)
 */
import { Schema } from "effect"
import { pipeline } from "clipcl/dsl"
import { addReport, comparedMethods, defineDataset, pretrain, study } from "clipcl/stages"
import { addPretrain, smallModel, syntheticData } from "./common/synthetic.js"

const smoke = process.env["CLIPCL_SMOKE"] === "1"

defineDataset({
  name: "shapes-folder",
  params: Schema.Struct({
    /** The folder holding labels.csv, relative to this file (keys stay the same on every machine). */
    dir: Schema.optionalWith(Schema.String, { default: () => "data/shapes" }),
    imageSize: Schema.optionalWith(Schema.Int, { default: () => 32 }),
    /** The synthetic world the model was pretrained on: its zero-shot and retrieval sets measure forgetting. */
    worldSeed: Schema.optionalWith(Schema.Int, { default: () => 0 }),
    evalSize: Schema.optionalWith(Schema.Int, { default: () => 500 })
  }),
  open: async (p) => {
    const path = await import("node:path")
    const { fileURLToPath } = await import("node:url")
    const { Data } = await import("clipcl")
    const { DataParams, openExperiment } = await import("clipcl/stages")
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), p.dir, "labels.csv")
    const [train, test] = await Promise.all(
      ["train", "test"].map((split) => Data.openLabelsFile({ file, split, size: p.imageSize, name: `shapes/${split}`, inMemory: true }))
    )
    const world = await openExperiment(Schema.decodeUnknownSync(DataParams)({
      source: "synthetic", seed: p.worldSeed, pretrainSize: 6000, pretrainCaptions: 2, zeroShotSize: p.evalSize, retrievalSize: p.evalSize
    }))
    return {
      name: `shapes folder (${p.dir})`,
      pretrain: world.pretrain,
      target: { name: "shapes folder", classNames: train!.classNames, templates: ["a photo of a {}"], train: train!, test: test! },
      zeroShot: world.zeroShot,
      retrieval: world.retrieval
    }
  }
})

const data = { source: "shapes-folder", ...(smoke ? { evalSize: 40 } : {}) }

export default pipeline("custom-dataset", (p) => {
  // The quickstart's pretrained model (one cache key); the smoke run pretrains on 64 images.
  const base = smoke
    ? p.add(pretrain, { name: "pretrain", params: { data: { ...syntheticData(0), pretrainSize: 64 }, model: smallModel, train: { epochs: 1 } } })
    : addPretrain(p, 0)
  const tables = study(p, base, {
    data,
    sessions: 2,
    train: { epochs: smoke ? 1 : 6, batchSize: 32, learningRate: 1e-3 },
    methods: smoke ? comparedMethods.filter((m) => m.label !== "ZSCL") : comparedMethods
  })
  addReport(p, tables)
})
