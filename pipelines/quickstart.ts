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
import { pipeline } from "clipcl/dsl"
import { addReport, comparedMethods, study } from "clipcl/stages"
import { addPretrain, syntheticData } from "./common/synthetic.js"

const seed = Number(process.env.CLIPCL_SEED ?? 0)
if (!Number.isInteger(seed) || seed < 0) throw new Error(`CLIPCL_SEED=${process.env.CLIPCL_SEED} is not a non-negative integer`)

const data = syntheticData(seed)

export default pipeline("quickstart", (p) => {
  const base = addPretrain(p, seed)
  const tables = study(p, base, {
    data,
    sessions: 2,
    train: { epochs: 6, batchSize: 64, learningRate: 1e-3 },
    methods: comparedMethods
  })
  addReport(p, tables)
}, { seed })
