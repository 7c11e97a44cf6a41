/**
 * The quickstart study on the built-in synthetic caption world: pretrain a
 * small CLIP from scratch, learn 8 new shape classes (drawn on a background
 * pretraining never showed) in 2 sessions of 4, and compare how much zero-shot
 * colour classification and image-caption retrieval each method keeps.
 *
 *   npm start                       # = clipcl run pipelines/quickstart.ts
 *   clipcl results pipelines/quickstart.ts
 *
 * CLIPCL_SEED=n (default 0) draws another synthetic world and seeds every
 * stage with n (initialisation, shuffling, pseudo-classes): the same study
 * repeated, cached apart from the others.
 */
import { pipeline } from "../src/dsl/index.js"
import { addReport, comparedMethods, pretrain, study } from "../src/stages/index.js"

const seed = Number(process.env.CLIPCL_SEED ?? 0)
if (!Number.isInteger(seed) || seed < 0) throw new Error(`CLIPCL_SEED=${process.env.CLIPCL_SEED} is not a non-negative integer`)

const data = { source: "synthetic" as const, seed, pretrainSize: 6000, pretrainCaptions: 2 }

/** A small ViT-CLIP that trains in minutes on two CPU cores. */
const model = {
  imageSize: 32, patchSize: 8, visionWidth: 64, visionLayers: 2, visionHeads: 2,
  textWidth: 64, textLayers: 2, textHeads: 2, embedDim: 64, contextLength: 24
}

export default pipeline("quickstart", (p) => {
  const base = p.add(pretrain, { name: "pretrain", params: { data, model, train: { epochs: 3, batchSize: 128, learningRate: 2e-3 } } })
  const tables = study(p, base, {
    data,
    sessions: 2,
    train: { epochs: 6, batchSize: 64, learningRate: 1e-3 },
    methods: comparedMethods
  })
  addReport(p, tables)
}, { seed })
