/**
 * Failures of the content-addressed cache. Each names what is at fault (the
 * artifact hash, the store file, the export file) so the CLI can word it
 * without guessing; nothing in `src/cache` throws raw errors past its API.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * An artifact's bytes no longer hash to its name (tampered or damaged blob,
 * or a chunk missing): the artifact must not be used.
 *
 * @since 0.1.0
 * @category errors
 */
export class CorruptArtifact extends Data.TaggedError("CorruptArtifact")<{
  readonly hash: string
  /** The sha256 actually read, when the bytes could be read at all. */
  readonly actual?: string
  readonly detail: string
}> {
  get message(): string {
    return `artifact ${this.hash} is corrupt: ${this.detail}. ${REPAIR}`
  }
}

/** How a user repairs a corrupt artifact (a put of the same bytes replaces a damaged copy). */
const REPAIR =
  "To repair it, re-run the stage that produced it (`clipcl run FILE --force STAGE`), " +
  "or drop it with `clipcl cache verify --remove` so the next run recomputes it"

/**
 * Run records (and the small outputs batched with them) could not be
 * written, typically because the disk is full: those stages' results are
 * not cached and the next run computes them again.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunsNotRecorded extends Data.TaggedError("RunsNotRecorded")<{
  readonly path: string
  /** Cache keys of the runs whose records were not written. */
  readonly keys: ReadonlyArray<string>
  readonly cause: unknown
}> {
  get message(): string {
    return `could not record ${this.keys.length} run(s) in the cache ${this.path}: ${describe(this.cause)}`
  }
}

/**
 * No complete artifact with this hash is in the store (never written,
 * evicted by gc, or its write was interrupted).
 *
 * @since 0.1.0
 * @category errors
 */
export class MissingArtifact extends Data.TaggedError("MissingArtifact")<{
  readonly hash: string
}> {
  get message(): string {
    return `artifact ${this.hash} is not in the cache`
  }
}

/**
 * The SQLite file could not be opened or its schema created.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreOpenFailed extends Data.TaggedError("StoreOpenFailed")<{
  readonly path: string
  readonly cause: unknown
}> {
  get message(): string {
    return `cannot open the cache ${this.path}: ${describe(this.cause)}`
  }
}

/**
 * A statement on an open store failed (disk full, database busy for longer
 * than the busy timeout, ...). `operation` names the store method.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreFailed extends Data.TaggedError("StoreFailed")<{
  readonly path: string
  readonly operation: string
  readonly cause: unknown
}> {
  get message(): string {
    return `cache store ${this.path}: ${this.operation} failed: ${describe(this.cause)}`
  }
}

/**
 * An export file could not be read, has the wrong format, or holds an
 * artifact whose bytes do not match its declared hash.
 *
 * @since 0.1.0
 * @category errors
 */
export class ImportFailed extends Data.TaggedError("ImportFailed")<{
  readonly file: string
  readonly reason: string
  readonly hash?: string
  readonly cause?: unknown
}> {
  get message(): string {
    return `cannot import ${this.file}: ${this.reason}${this.hash ? ` (artifact ${this.hash})` : ""}`
  }
}

/**
 * The export file could not be written.
 *
 * @since 0.1.0
 * @category errors
 */
export class ExportFailed extends Data.TaggedError("ExportFailed")<{
  readonly file: string
  readonly reason: string
  readonly cause?: unknown
}> {
  get message(): string {
    return `cannot export to ${this.file}: ${this.reason}`
  }
}

/**
 * `pin`/`unpin` got something that is neither a stored artifact hash nor a
 * bound cache key.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownTarget extends Data.TaggedError("UnknownTarget")<{
  readonly target: string
}> {
  get message(): string {
    return `${this.target} is neither an artifact hash nor a cache key in the store`
  }
}

/**
 * The cache's error union.
 *
 * @since 0.1.0
 * @category errors
 */
export type CacheError =
  | CorruptArtifact
  | MissingArtifact
  | StoreOpenFailed
  | StoreFailed
  | RunsNotRecorded
  | ImportFailed
  | ExportFailed
  | UnknownTarget

const describe = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause)
