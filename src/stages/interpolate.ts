/**
 * `interpolate`: weight-space ensembling of two checkpoints,
 * `(1 - alpha) * a + alpha * b` parameter by parameter. With `a` the
 * zero-shot (pretrained) model and `b` a fine-tuned one this is WiSE-FT.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { checkpoint, stage } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"
import { loadModel } from "./io.js"

/** @since 0.1.0 @category stages */
export const interpolate = stage({
  name: "interpolate",
  version: 1,
  params: Schema.Struct({ alpha: Schema.Number.pipe(Schema.between(0, 1)) }),
  inputs: { a: checkpoint, b: checkpoint },
  output: checkpoint,
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params, inputs }) => {
    // The weight arithmetic (TensorFlow.js) loads when the stage runs, not when a pipeline is planned.
    const { disposeWeights } = await import("../methods/weights.js")
    const { wiseft } = await import("../methods/wiseft.js")
    const a = await loadModel(inputs.a)
    const b = await loadModel(inputs.b)
    try {
      const wa = a.getWeights()
      const wb = b.getWeights()
      const merged = wiseft(wa, wb, params.alpha)
      disposeWeights(wa)
      disposeWeights(wb)
      b.setWeights(merged)
      disposeWeights(merged)
      return b.toSafetensorsStream()
    } finally {
      a.dispose()
      b.dispose()
    }
  }
})
