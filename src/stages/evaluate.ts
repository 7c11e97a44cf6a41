/**
 * `evaluate`: every figure the study reports for one model, as an evaluation
 * table (src/eval's long form): accuracy on each target session's classes
 * (the accuracy matrix row of this session), target accuracy over the
 * classes seen so far, zero-shot accuracy on each held-out task (prompt
 * ensembles) and image-text retrieval recall, averaged over folds.
 *
 * The rows carry no method or setting label: labels name a row of the
 * results, not what is computed, so they are the report's parameters
 * (`reportOf`) and renaming a method re-runs only the report.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { checkpoint, stage, table } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"
import type { EvalRecord } from "../eval/EvalTable.js"
import { PositiveInt } from "../schemas.js"
import { DataParams, SessionParams } from "./experiment.js"

const Params = Schema.Struct({
  data: DataParams,
  sessions: Schema.optionalWith(SessionParams, { default: () => ({ count: 1 }) }),
  /** The session this model has learned up to; -1 for the pretrained model. */
  session: Schema.Int.pipe(Schema.greaterThanOrEqualTo(-1)),
  /** Candidate classes of target accuracy: all target classes (the paper) or those seen so far. */
  scope: Schema.optionalWith(Schema.Literal("all", "seen"), { default: () => "all" as const }),
  /** Images per forward pass. */
  batchSize: Schema.optionalWith(PositiveInt, { default: () => 256 })
})

/**
 * The decoded parameters of an evaluate stage.
 *
 * @since 0.1.0
 * @category models
 */
export type EvaluateParams = typeof Params.Type

/**
 * One row of an evaluate stage's table: an evaluation record without the
 * labels the report adds.
 *
 * @since 0.1.0
 * @category models
 */
export type UnlabelledRecord = Omit<EvalRecord, "method" | "setting">

/** @since 0.1.0 @category stages */
export const evaluate = stage({
  name: "evaluate",
  version: 1,
  params: Params,
  inputs: { model: checkpoint },
  output: table,
  resources: { accelerator: 1 },
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params, inputs, ctx }) => {
    // The science loads when a model is evaluated, not when a pipeline is planned.
    const { evaluateModel } = await import("./internal/evaluate.js")
    return evaluateModel(params, inputs.model, ctx)
  }
})
