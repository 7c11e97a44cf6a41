/**
 * L2-SP (Li, Grandvalet & Davoine, ICML 2018) as a method of your own: a
 * penalty `alpha/2 * ||w - w0||^2` pulls the tuned weights `w` toward the
 * initial (pretrained) ones `w0`, so fine-tuning keeps close to the model
 * that knew the zero-shot tasks.
 *
 * The definition loads no TensorFlow.js: `make` imports the implementation
 * (`l2spLoss.ts`) when a session runs. This module and what it imports are
 * the method's code in the cache key of the stages that train with it.
 */
import { Schema } from "effect"
import { defineMethod } from "clipcl/stages"

export const l2sp = defineMethod({
  module: import.meta.url,
  name: "L2-SP",
  options: Schema.Struct({
    /** Weight of the penalty. */
    alpha: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { default: () => 0.01 })
  }),
  // w0: the pretrained model, wired as every session's `initial` input.
  needs: () => ({ initial: true }),
  make: async (o) => (await import("./l2spLoss.js")).l2sp(o.alpha)
})
