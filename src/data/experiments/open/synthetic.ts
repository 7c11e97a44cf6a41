/**
 * Opens the `synthetic` source: the caption world's protocol, with the
 * zero-shot tasks the parameters name.
 *
 * @since 0.1.0
 */
import { worldProtocol } from "../../synthetic/world.js"
import type { Experiment } from "../experiment.js"
import type { SyntheticData } from "../synthetic.js"

/**
 * Open the synthetic experiment.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openSynthetic = (p: SyntheticData): Experiment => {
  const w = worldProtocol({
    seed: p.seed,
    imageSize: p.imageSize,
    pretrainSize: p.pretrainSize,
    pretrainCaptions: p.pretrainCaptions,
    retrievalSize: p.retrievalSize,
    retrievalCaptions: p.retrievalCaptions,
    targetTrainPerClass: p.targetTrainPerClass,
    targetTestPerClass: p.targetTestPerClass,
    zeroShotSize: p.zeroShotSize
  })
  return {
    name: `synthetic(seed ${p.seed})`,
    pretrain: w.pretrain,
    target: w.target,
    zeroShot: w.zeroShot.filter((t) => (p.zeroShotTasks as ReadonlyArray<string>).includes(t.name)),
    retrieval: [w.retrieval]
  }
}
