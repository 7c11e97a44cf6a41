/**
 * The one error for an image that cannot be decoded, whoever decodes it
 * (CLIP preprocessing, the data readers). Kept apart from the decoder so
 * that error unions can name it without loading sharp.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * An image file (or bytes) that does not decode. `file` is the path, or
 * `"<bytes>"` for a buffer; `record` the image's index in its data set,
 * where it has one.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImageDecodeError extends Data.TaggedError("ImageDecodeError")<{
  readonly file: string
  readonly record?: number
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.file}: image${this.record === undefined ? "" : ` (record ${this.record})`} does not decode: ${this.reason}`
  }
}
