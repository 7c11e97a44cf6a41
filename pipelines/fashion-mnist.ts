/**
 * The quickstart study on Fashion-MNIST (see `docs/pipelines.md`): pretrain a
 * small CLIP on captions of five clothing classes, learn the other five in 2
 * sessions, and compare how much zero-shot classification of the pretraining
 * classes and caption retrieval each method keeps.
 *
 *   clipcl run pipelines/fashion-mnist.ts
 *
 * Reads Debian's `dataset-fashion-mnist` files; point elsewhere with
 * CLIPCL_FASHION_MNIST_DIR (a folder with the four IDX files).
 */
import { pipeline } from "clipcl/dsl"
import { addReport, comparedMethods, pretrain, study } from "clipcl/stages"

const dir = process.env["CLIPCL_FASHION_MNIST_DIR"]
const data = {
  source: "fashion-mnist" as const,
  ...(dir === undefined || dir === "" ? {} : { dir }),
  seed: 0,
  pretrainPerClass: 1000,
  targetTrainPerClass: 300
}

/** A small ViT-CLIP at Fashion-MNIST's native 28x28 (4x4 patches of 7). */
const model = {
  imageSize: 28, patchSize: 7, visionWidth: 64, visionLayers: 2, visionHeads: 2,
  textWidth: 64, textLayers: 2, textHeads: 2, embedDim: 64, contextLength: 16
}

export default pipeline("fashion-mnist", (p) => {
  const base = p.add(pretrain, { name: "pretrain", params: { data, model, train: { epochs: 3, batchSize: 128, learningRate: 2e-3 } } })
  const tables = study(p, base, {
    data,
    sessions: 2,
    train: { epochs: 3, batchSize: 64, learningRate: 1e-3 },
    methods: comparedMethods
  })
  addReport(p, tables)
})
