/**
 * Errors raised by the continual-learning methods. Each names the method,
 * the tensor or option at fault, so a stage can report it verbatim.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * Two tensors that a loss combines do not have compatible shapes.
 *
 * @since 0.1.0
 * @category errors
 */
export class ShapeMismatchError extends Data.TaggedError("ShapeMismatchError")<{
  readonly method: string
  readonly tensor: string
  readonly expected: string
  readonly actual: ReadonlyArray<number>
}> {
  override get message(): string {
    return `${this.method}: tensor '${this.tensor}' has shape [${this.actual.join(", ")}], expected ${this.expected}`
  }
}

/**
 * A method or training option is out of its valid range.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOptionError extends Data.TaggedError("InvalidOptionError")<{
  readonly method: string
  readonly option: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.method}: option '${this.option}' ${this.reason}`
  }
}

/**
 * Training stopped because its AbortSignal fired; `step` is the number of
 * optimiser steps completed (the model holds their result).
 *
 * @since 0.1.0
 * @category errors
 */
export class TrainingInterruptedError extends Data.TaggedError("TrainingInterruptedError")<{
  readonly method: string
  readonly step: number
  readonly total: number
}> {
  override get message(): string {
    return `${this.method}: interrupted after step ${this.step} of ${this.total}`
  }
}

/**
 * The loss became NaN or infinite: training cannot continue meaningfully.
 *
 * @since 0.1.0
 * @category errors
 */
export class NonFiniteLossError extends Data.TaggedError("NonFiniteLossError")<{
  readonly method: string
  readonly step: number
  readonly term: string
  readonly value: number
}> {
  override get message(): string {
    return `${this.method}: loss term '${this.term}' is ${this.value} at step ${this.step}`
  }
}

/**
 * @since 0.1.0
 * @category errors
 */
export type MethodError = ShapeMismatchError | InvalidOptionError | TrainingInterruptedError | NonFiniteLossError
