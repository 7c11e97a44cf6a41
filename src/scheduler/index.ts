/**
 * The scheduler: keys, plans, execution, events.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export * from "./Event.js"
export * from "./EventSink.js"
export { canonicalJson, sha256Hex, UnhashableValueError } from "./hash.js"
export { cacheKey, stageKey, diffPreimage, environmentFacts, fingerprintOf, type Preimage } from "./keys.js"
export { findStages, matchStages, parseOverride, resolve, type Dag, type Node, type Override } from "./resolve.js"
export { makePlan, plannedStages, planWallTime, type Plan, type PlanEntry, type PlanOptions } from "./plan.js"
export { estimateDuration, makeHistory, wallTime, type Basis, type Estimate, type History, type Sample, type Task, type WallTime } from "./estimate.js"
export { execute, type ExecuteOptions, type RunResult } from "./execute.js"
export { planPipeline, resolvePipeline, runPipeline, type PlanPipelineOptions } from "./runPipeline.js"
export { loadInput, storeOutput } from "./artifacts.js"
export type { Executor } from "./Executor.js"
export { localExecutor } from "./executors/local.js"
