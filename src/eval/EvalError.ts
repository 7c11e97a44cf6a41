/**
 * Errors raised by the evaluation code. Each names the metric (or table,
 * or plot) and the input field at fault, so a failed evaluate stage tells
 * the user which tensor or row to look at rather than "NaN somewhere".
 *
 * The metric functions are pure and synchronous: they throw these (they are
 * `Data.TaggedError`s, hence yieldable) and a stage wraps the call with
 * `Effect.try`. Functions that do I/O or are asynchronous (plot rendering,
 * table decoding) return an `Effect` failing with them instead.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A metric was given input it cannot score: a NaN score, an empty matrix,
 * a label out of range, mismatched shapes, a ragged accuracy matrix...
 *
 * @since 0.1.0
 * @category errors
 */
export class MetricInputError extends Data.TaggedError("MetricInputError")<{
  /** The metric or helper that refused the input, e.g. `"topKAccuracy"`. */
  readonly metric: string
  /** The argument or tensor at fault, e.g. `"labels[17]"`, `"scores"`. */
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.metric}: ${this.field}: ${this.reason}`
  }
}

/**
 * An evaluation table (what an evaluate stage stores) is malformed or two
 * tables contradict each other.
 *
 * @since 0.1.0
 * @category errors
 */
export class EvalTableError extends Data.TaggedError("EvalTableError")<{
  /** Where the table came from: a stage name, a file, an artifact key. */
  readonly source: string
  /** Row index in the table when one row is at fault (when aggregating many tables: in their concatenation). */
  readonly row?: number
  readonly field?: string
  readonly reason: string
}> {
  override get message(): string {
    const at = this.row === undefined ? "" : ` row ${this.row}`
    const field = this.field === undefined ? "" : ` field ${this.field}`
    return `evaluation table ${this.source}${at}${field}: ${this.reason}`
  }
}

/**
 * A plot could not be built or rendered (vega or sharp failed, or the data
 * has nothing to draw).
 *
 * @since 0.1.0
 * @category errors
 */
export class PlotError extends Data.TaggedError("PlotError")<{
  /** The plot kind, e.g. `"accuracy-heatmap"`, and its file when known. */
  readonly plot: string
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `plot ${this.plot}: ${this.reason}`
  }
}

/**
 * Every error the eval module raises.
 *
 * @since 0.1.0
 * @category errors
 */
export type EvalError = MetricInputError | EvalTableError | PlotError
