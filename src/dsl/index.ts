/**
 * The pipeline DSL: stages, typed outputs, pipelines and sweeps.
 *
 * @since 0.1.0
 */
export * from "./Output.js"
export * from "./Stage.js"
export * from "./Pipeline.js"
export * from "./Sweep.js"
export * from "./handles.js"
export { moduleSources, sourcesOf, coversRun, includesCoverRun } from "./moduleSources.js"
