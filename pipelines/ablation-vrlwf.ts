/**
 * VR-LwF ablation on the synthetic world: alpha x vocabulary (redrawn random
 * sequences, a fixed pool of random sequences of two lengths, real words) x
 * which part of CLIP is tuned, one-session training. One sweep: pretraining,
 * the pretrained evaluation, the FT baselines (one per tuned part), the
 * vocabulary embeddings (one per vocabulary, shared by every alpha and part)
 * and the teacher's image features (one `distill`, shared by all 32 VR-LwF
 * sessions) are computed once; `clipcl plan` shows the merged DAG.
 *
 *   clipcl plan pipelines/ablation-vrlwf.ts
 *   clipcl run pipelines/ablation-vrlwf.ts
 */
import { pipeline } from "clipcl/dsl"
import { addReport, study, type StudyMethod } from "clipcl/stages"
import { addPretrain, syntheticData } from "./common/synthetic.js"

const data = syntheticData()

const vocabularies = {
  redrawn: undefined,
  "pool-1000x8": { kind: "random" as const, size: 1000, length: 8 },
  "pool-1000x4": { kind: "random" as const, size: 1000, length: 4 },
  "words-cifar100": { kind: "classNames" as const, dataset: "CIFAR100" }
}

export default pipeline("ablation-vrlwf", (p) => {
  const base = addPretrain(p)
  const tables: Array<ReturnType<typeof study>[number]> = []
  p.sweep(
    { alpha: [0.25, 0.5, 1, 2], vocabulary: Object.keys(vocabularies) as Array<keyof typeof vocabularies>, part: ["all", "image"] as const },
    ({ alpha, vocabulary, part }) => {
      const v = vocabularies[vocabulary]
      const vr: StudyMethod = {
        label: "VR-LwF",
        method: { name: "VR-LwF", alpha, vocabulary: v === undefined ? "random" : "pool" },
        ...(v === undefined ? {} : { vocabulary: v })
      }
      tables.push(
        ...study(p, base, {
          data,
          sessions: 1,
          part: { encoder: part },
          train: { epochs: 6, batchSize: 64, learningRate: 1e-3 },
          setting: { alpha, vocabulary, part },
          methods: [{ label: "FT", method: { name: "FT" }, setting: { part } }, vr]
        })
      )
    }
  )
  addReport(p, tables)
})
