/**
 * The seam's plumbing: checkpoints in and out of the cache, and training
 * progress into the stage context. Tensor-free at load time: a stage module
 * imports this at its top level, so the CLIP model code (TensorFlow.js)
 * loads only when `loadModel` first runs.
 *
 * @since 0.1.0
 */
import type { ClipModel } from "../clip/model.js"
import type { CheckpointInput } from "../dsl/Output.js"
import type { StageContext } from "../dsl/Stage.js"
import type { TrainHooks } from "../methods/train.js"

/**
 * Read a CLIP checkpoint input (hash-verified by the cache).
 *
 * @since 0.1.0
 * @category utils
 */
export const loadModel = async (input: CheckpointInput): Promise<ClipModel> => {
  const { clipFromSafetensors } = await import("../clip/model.js")
  return clipFromSafetensors(await input.bytes(), { file: `checkpoint ${input.hash.slice(0, 12)}` })
}

/**
 * Training hooks that report every step's metrics to the stage and stop at
 * the next step when the run is interrupted.
 *
 * @since 0.1.0
 * @category utils
 */
export const trainHooks = (ctx: StageContext, label?: string): TrainHooks => {
  let lastLog = 0
  return {
    signal: ctx.signal,
    onProgress: (p) => {
      ctx.progress(p.step, p.total, { ...p.metrics, lr: p.learningRate, epoch: p.epoch })
      const now = Date.now()
      if (p.step === p.total || now - lastLog > 10_000) {
        lastLog = now
        const m = Object.entries(p.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")
        ctx.log(`${label ?? "train"} step ${p.step}/${p.total} epoch ${p.epoch + 1}: ${m}`)
      }
    }
  }
}
