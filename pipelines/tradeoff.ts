/**
 * The trade-off behind the quickstart's comparison, with a fair schedule:
 * every method trains each session to a target-accuracy plateau (accuracy
 * on 10% of the session's images held out; stop after 2 epochs without
 * improvement, at most 15), instead of one fixed number of epochs for all,
 * so a regularised method is not judged before it has learned. The
 * distillation weight alpha of VR-LwF and the interpolation weight of
 * WiSE-FT are swept to show target accuracy against zero-shot accuracy and
 * the paper's mean of the two. Same world, model and pretraining as the
 * quickstart: with one cache the pretrained model is computed once for both.
 *
 *   clipcl run pipelines/tradeoff.ts
 *   clipcl results pipelines/tradeoff.ts --plots plots/tradeoff
 */
import { pipeline } from "clipcl/dsl"
import { addReport, comparedMethods, study, type StudyMethod } from "clipcl/stages"
import { addPretrain, syntheticData } from "./common/synthetic.js"

const data = syntheticData()

/** Distillation weights of VR-LwF; WiSE-FT's weight on the fine-tuned model. */
const alphas = [0.25, 0.5, 1, 2]
const wiseAlphas = [0.25, 0.5, 0.75]

/** Each method trains every session to its own target-accuracy plateau (at most 15 epochs). */
const train = { epochs: 15, patience: 2, validation: 0.1, batchSize: 64, learningRate: 1e-3 }
// `setting: {}` keeps a baseline's evaluation identical in every sweep setting, so it runs once.
const FT: StudyMethod = { label: "FT", method: { name: "FT" }, setting: {} }

export default pipeline("tradeoff", (p) => {
  const base = addPretrain(p)
  const common = { data, sessions: 2, train }
  const tables = study(p, base, {
    ...common,
    // LwF and ZSCL exactly as the quickstart compares them.
    methods: [FT, ...comparedMethods.filter((m) => m.label === "LwF" || m.label === "ZSCL")]
  })
  p.sweep({ alpha: alphas }, ({ alpha }) => {
    tables.push(...study(p, base, { ...common, setting: { alpha }, methods: [{ label: "VR-LwF", method: { name: "VR-LwF", alpha } }] }))
  })
  p.sweep({ wiseAlpha: wiseAlphas }, ({ wiseAlpha }) => {
    tables.push(...study(p, base, { ...common, setting: { alpha: wiseAlpha }, methods: [FT, { label: "WiSE-FT", wiseft: { of: "FT", alpha: wiseAlpha } }] }))
  })
  addReport(p, tables)
})
