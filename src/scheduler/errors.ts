/**
 * Errors of the scheduler. Validation problems name the pipeline file, the
 * stage instance and the field at fault; the CLI alone turns them into words
 * and exit codes (invalid pipeline: 2, a stage failed: 1).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * The stages of a dependency cycle, in order (the first depends on the last).
 *
 * @since 0.1.0
 * @category errors
 */
export class CycleDetected extends Data.TaggedError("CycleDetected")<{
  readonly file: string
  readonly stages: ReadonlyArray<string>
}> {
  override get message(): string {
    return `${this.file}: dependency cycle: ${[...this.stages, this.stages[0]].map((s) => `'${s}'`).join(" -> ")}`
  }
}

/**
 * A declared input is not wired, or is wired to a stage that does not exist,
 * or a wired input is not declared by the stage.
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingInput extends Data.TaggedError("MissingInput")<{
  readonly file: string
  readonly stage: string
  readonly input: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.file}: stage '${this.stage}', input '${this.input}': ${this.reason}`
  }
}

/**
 * Two stage instances were given the same name.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateName extends Data.TaggedError("DuplicateName")<{
  readonly file: string
  readonly stage: string
}> {
  override get message(): string {
    return `${this.file}: stage name '${this.stage}' is used by more than one instance`
  }
}

/**
 * A parameter failed its stage's Schema (after `--set` overrides).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidParams extends Data.TaggedError("InvalidParams")<{
  readonly file: string
  readonly stage: string
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.file}: stage '${this.stage}', param '${this.field}': ${this.detail}`
  }
}

/**
 * A part of a stage's cache key cannot be computed (unhashable parameter,
 * unreadable `hashIncludes` file, unprintable `run`): the stage is refused
 * rather than cached under an incomplete key.
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyUncomputable extends Data.TaggedError("KeyUncomputable")<{
  readonly file: string
  readonly stage: string
  readonly field: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.file}: stage '${this.stage}': cache key cannot be computed (${this.field}): ${this.detail}`
  }
}

/**
 * A `--set`, `--force`, `--only` or `why` names no stage of the pipeline.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownStage extends Data.TaggedError("UnknownStage")<{
  readonly file: string
  readonly stage: string
  readonly option: string
  /** What the option could name instead (kinds, names, instances), one item per line. */
  readonly available?: string
}> {
  override get message(): string {
    return `${this.file}: ${this.option}: no stage kind, stage name or instance named '${this.stage}'${this.available ? `\n  ${this.available}` : ""}`
  }
}

/**
 * A stage asks for more of a resource than the pipeline has.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidResources extends Data.TaggedError("InvalidResources")<{
  readonly file: string
  readonly stage: string
  readonly resource: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.file}: stage '${this.stage}', resource '${this.resource}': ${this.detail}`
  }
}

/**
 * One validation problem.
 *
 * @since 0.1.0
 * @category errors
 */
export type PipelineProblem =
  | CycleDetected
  | MissingInput
  | DuplicateName
  | InvalidParams
  | KeyUncomputable
  | UnknownStage
  | InvalidResources

/**
 * The pipeline failed validation; nothing ran and nothing was written.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPipeline extends Data.TaggedError("InvalidPipeline")<{
  readonly file: string
  readonly problems: ReadonlyArray<PipelineProblem>
}> {
  override get message(): string {
    return this.problems.map((p) => p.message).join("\n")
  }
}

/**
 * The pipeline file could not be imported, or does not default-export a pipeline.
 *
 * @since 0.1.0
 * @category errors
 */
export class PipelineLoadFailed extends Data.TaggedError("PipelineLoadFailed")<{
  readonly file: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.file}: ${this.reason}`
  }
}

/**
 * A stage's `run` failed (or its output could not be encoded or stored).
 *
 * @since 0.1.0
 * @category errors
 */
export class StageFailed extends Data.TaggedError("StageFailed")<{
  readonly stage: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `stage '${this.stage}' failed: ${this.detail}`
  }
}

/**
 * Why a stage did not produce an output (internal to the scheduler: an input
 * failed or the run was stopped).
 *
 * @since 0.1.0
 * @category errors
 */
export class UpstreamFailed extends Data.TaggedError("UpstreamFailed")<{
  readonly stage: string
  readonly upstream: string
}> {
  override get message(): string {
    return `stage '${this.stage}' skipped: input '${this.upstream}' did not complete`
  }
}
