/**
 * The scheduler's front: resolve a pipeline (with overrides), plan it
 * against the cache, execute the plan. What the CLI's `plan` and `run` do,
 * as Effects, for programs and tests.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import type { CacheError } from "../cache/CacheError.js"
import type { CacheStore } from "../cache/CacheStore.js"
import type { Pipeline } from "../dsl/Pipeline.js"
import type { InvalidPipeline, PipelineLoadFailed } from "./errors.js"
import type { EventSink } from "./EventSink.js"
import { execute, type ExecuteOptions, type RunResult } from "./execute.js"
import { makePlan, type Plan } from "./plan.js"
import { findStages, resolve, type Dag, type Override } from "./resolve.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanPipelineOptions {
  /** Pipeline file, for messages (default: the pipeline's name). */
  readonly file?: string
  readonly overrides?: ReadonlyArray<Override>
  /** Stage names (exact, or base name of sweep instances). */
  readonly only?: ReadonlyArray<string>
  readonly force?: ReadonlyArray<string>
}

/**
 * Resolve and validate (no cache access: invalid pipelines touch nothing).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolvePipeline = (
  p: Pipeline,
  options: PlanPipelineOptions = {}
): Effect.Effect<{ readonly dag: Dag; readonly only: ReadonlyArray<number>; readonly force: ReadonlyArray<number> }, InvalidPipeline | PipelineLoadFailed> =>
  Effect.gen(function* () {
    const dag = yield* Either.match(resolve(p, options.file ?? p.name, options.overrides ?? []), { onLeft: Effect.fail, onRight: Effect.succeed })
    const only = yield* Either.match(findStages(dag, options.only ?? [], "--only"), { onLeft: Effect.fail, onRight: Effect.succeed })
    const force = yield* Either.match(findStages(dag, options.force ?? [], "--force"), { onLeft: Effect.fail, onRight: Effect.succeed })
    return { dag, only, force }
  })

/**
 * Resolve and plan.
 *
 * @since 0.1.0
 * @category constructors
 */
export const planPipeline = (p: Pipeline, options: PlanPipelineOptions = {}): Effect.Effect<Plan, InvalidPipeline | PipelineLoadFailed | CacheError, CacheStore> =>
  Effect.flatMap(resolvePipeline(p, options), ({ dag, only, force }) => makePlan(dag, { only, force }))

/**
 * Resolve, plan and execute.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runPipeline = (
  p: Pipeline,
  options: PlanPipelineOptions & ExecuteOptions = {}
): Effect.Effect<RunResult, InvalidPipeline | PipelineLoadFailed | CacheError, CacheStore | EventSink> =>
  Effect.flatMap(planPipeline(p, options), (plan) => execute(plan, options))
