/**
 * A method of your own in a study: L2-SP (`methods/l2sp.ts`, defined with
 * `defineMethod`) next to FT and VR-LwF on the quickstart's synthetic world.
 * Pretraining, FT and VR-LwF are the quickstart's stages (the same cache
 * keys): after the quickstart, only L2-SP's sessions run.
 *
 *   clipcl run pipelines/custom-method.ts
 *   clipcl results pipelines/custom-method.ts
 */
import { pipeline } from "clipcl/dsl"
import { addReport, study } from "clipcl/stages"
import { addPretrain, syntheticData } from "./common/synthetic.js"
import { l2sp } from "./methods/l2sp.js"

export default pipeline("custom-method", (p) => {
  const base = addPretrain(p)
  const tables = study(p, base, {
    data: syntheticData(),
    sessions: 2,
    train: { epochs: 6, batchSize: 64, learningRate: 1e-3 },
    methods: [
      { label: "FT", method: { name: "FT" } },
      { label: "VR-LwF", method: { name: "VR-LwF", alpha: 0.5 } },
      { label: "L2-SP", method: l2sp({ alpha: 0.1 }) }
    ]
  })
  addReport(p, tables)
})
