/**
 * Failures of the CLIP module, as tagged data. Each names what is at fault
 * (the file, the tensor, the field) so the CLI can say it without guessing.
 * They are plain `Error` subclasses too: synchronous code (forward passes,
 * weight loading) throws them and Effect code can yield them.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import { ImageDecodeError } from "../formats/ImageDecodeError.js"
import { SafetensorsError } from "../formats/safetensors.js"

/**
 * A safetensors file (or byte buffer) that cannot be parsed: truncated, a
 * header length beyond the file, bad JSON, an unknown dtype, offsets out of
 * range or overlapping. `file` is the path, or `"<bytes>"` for a buffer.
 * Defined with the format (`formats/safetensors.ts`).
 *
 * @since 0.1.0
 * @category errors
 */
export { SafetensorsError }

/**
 * The tensors of a checkpoint do not fit a CLIP model: every missing,
 * unexpected and mis-shaped tensor is listed at once, so one run shows the
 * whole problem.
 *
 * @since 0.1.0
 * @category errors
 */
export class WeightsMismatchError extends Data.TaggedError("WeightsMismatchError")<{
  readonly file: string
  readonly missing: ReadonlyArray<string>
  readonly unexpected: ReadonlyArray<string>
  readonly misshaped: ReadonlyArray<{ readonly name: string; readonly expected: ReadonlyArray<number>; readonly actual: ReadonlyArray<number> }>
}> {
  override get message(): string {
    const parts: string[] = []
    if (this.missing.length > 0) parts.push(`missing ${this.missing.length} tensor(s): ${this.missing.join(", ")}`)
    if (this.unexpected.length > 0) parts.push(`unexpected ${this.unexpected.length} tensor(s): ${this.unexpected.join(", ")}`)
    if (this.misshaped.length > 0) {
      parts.push(
        `mis-shaped ${this.misshaped.length} tensor(s): ` +
          this.misshaped.map((m) => `${m.name} is [${m.actual.join(", ")}], expected [${m.expected.join(", ")}]`).join("; ")
      )
    }
    return `${this.file}: weights do not fit the CLIP model: ${parts.join("; ")}`
  }
}

/**
 * The configuration of a model is invalid or cannot be inferred (a field
 * that does not divide, an unknown layout, a bad config.json).
 *
 * @since 0.1.0
 * @category errors
 */
export class ClipConfigError extends Data.TaggedError("ClipConfigError")<{
  readonly source: string
  readonly field: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.source}: ${this.field}: ${this.reason}`
  }
}

/**
 * A tensor handed to the model has the wrong shape or dtype (`tensor` names
 * the argument, e.g. `pixels` or `ids`).
 *
 * @since 0.1.0
 * @category errors
 */
export class ClipInputError extends Data.TaggedError("ClipInputError")<{
  readonly tensor: string
  readonly reason: string
}> {
  override get message(): string {
    return `${this.tensor}: ${this.reason}`
  }
}

/**
 * An image that cannot be decoded: `file` (a path, or `"<bytes>"`), and the
 * `reason`. Defined once for CLIP and the data readers
 * (`formats/ImageDecodeError.ts`).
 *
 * @since 0.1.0
 * @category errors
 */
export { ImageDecodeError }

/**
 * Every error this module raises.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClipError = SafetensorsError | WeightsMismatchError | ClipConfigError | ClipInputError | ImageDecodeError
