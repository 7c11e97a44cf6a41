/**
 * What can go wrong when reading a data set. Every error names the file (and
 * the record, where there is one) so that a failed stage tells the user which
 * byte of which download is at fault; readers never skip a bad record
 * silently; only `skipBad: true` does, and the data set then reports how many
 * it skipped.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import { ImageDecodeError } from "../formats/ImageDecodeError.js"

/**
 * A file the reader needs is not there.
 *
 * @since 0.1.0
 * @category errors
 */
export class DataFileMissing extends Data.TaggedError("DataFileMissing")<{
  readonly file: string
  readonly cause?: unknown
}> {
  override get message() {
    return `data file not found: ${this.file}`
  }
}

/**
 * The file's header does not carry the magic number its format requires
 * (for example an IDX label file passed where images were expected).
 *
 * @since 0.1.0
 * @category errors
 */
export class BadMagic extends Data.TaggedError("BadMagic")<{
  readonly file: string
  readonly expected: string
  readonly actual: string
}> {
  override get message() {
    return `${this.file}: wrong magic number ${this.actual} (expected ${this.expected})`
  }
}

/**
 * A record ends before its declared length: the file was cut short.
 *
 * @since 0.1.0
 * @category errors
 */
export class TruncatedRecord extends Data.TaggedError("TruncatedRecord")<{
  readonly file: string
  readonly record: number
  readonly expectedBytes: number
  readonly actualBytes: number
}> {
  override get message() {
    return `${this.file}: record ${this.record} is truncated (${this.actualBytes} of ${this.expectedBytes} bytes)`
  }
}

/**
 * A label is not a valid class index for the data set's class list.
 *
 * @since 0.1.0
 * @category errors
 */
export class LabelOutOfRange extends Data.TaggedError("LabelOutOfRange")<{
  readonly file: string
  readonly record: number
  readonly label: number
  readonly numClasses: number
}> {
  override get message() {
    return `${this.file}: record ${this.record} has label ${this.label}, outside [0, ${this.numClasses})`
  }
}

/**
 * An image file that does not decode (`file`, `record`, `reason`). Defined
 * once for the data readers and CLIP (`formats/ImageDecodeError.ts`).
 *
 * @since 0.1.0
 * @category errors
 */
export { ImageDecodeError }

/**
 * A file is readable but its structure is not what the format promises
 * (a JSON field missing, counts that disagree, an empty class folder ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class DataFormatError extends Data.TaggedError("DataFormatError")<{
  readonly file: string
  readonly reason: string
  readonly record?: number
}> {
  override get message() {
    const at = this.record === undefined ? "" : ` (record ${this.record})`
    return `${this.file}${at}: ${this.reason}`
  }
}

/**
 * A caller passed an option that cannot work (batch size 0, session sizes
 * that do not add up, an index outside the data set ...).
 *
 * @since 0.1.0
 * @category errors
 */
export class DataArgumentError extends Data.TaggedError("DataArgumentError")<{
  readonly field: string
  readonly reason: string
}> {
  override get message() {
    return `${this.field}: ${this.reason}`
  }
}

/**
 * Every error the data module raises.
 *
 * @since 0.1.0
 * @category errors
 */
export type DataError =
  | DataFileMissing
  | BadMagic
  | TruncatedRecord
  | LabelOutOfRange
  | ImageDecodeError
  | DataFormatError
  | DataArgumentError

const tags = new Set([
  "DataFileMissing", "BadMagic", "TruncatedRecord", "LabelOutOfRange",
  "ImageDecodeError", "DataFormatError", "DataArgumentError"
])

/**
 * Whether a thrown value is one of this module's errors.
 *
 * @since 0.1.0
 * @category errors
 */
export const isDataError = (u: unknown): u is DataError =>
  typeof u === "object" && u !== null && tags.has((u as { _tag?: string })._tag ?? "")
