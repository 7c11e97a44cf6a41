/**
 * The content-addressed cache: the engine's only door to SQLite.
 *
 * Two stores in one database (Hamilton's shape): *results* map a content hash
 * to chunked bytes, so an artifact is stored once however many cache keys
 * reach it; *metadata* maps cache keys to the run that produced them, keeps
 * every run attempt with its key pre-image (for `plan`/`why` diffs), pins,
 * the outputs each pipeline last used (gc protects them) and LRU times.
 *
 * Stages never see this service: the scheduler encodes a stage's output with
 * `codec.ts`, puts it here and records the run.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import { Effect } from "effect"
import type { Brand, Option, Scope, Stream } from "effect"
import type { ArtifactKind } from "../formats/artifact.js"
import type { CacheError, MissingArtifact, RunsNotRecorded, StoreOpenFailed, UnknownTarget } from "./CacheError.js"
import { makeStore, type CacheStoreOptions } from "./internal/store.js"

export type { CacheStoreOptions } from "./internal/store.js"

/**
 * sha256 hex of an artifact's bytes.
 *
 * @since 0.1.0
 * @category models
 */
export type ContentHash = string & Brand.Brand<"ContentHash">

/**
 * sha256 hex of a cache key's pre-image (computed by the scheduler).
 *
 * @since 0.1.0
 * @category models
 */
export type CacheKey = string & Brand.Brand<"CacheKey">

/**
 * How an artifact's bytes are encoded (see `codec.ts`; the union is
 * `formats/artifact.ts`'s, shared with the DSL). Informational for the
 * store: the hash covers the bytes only.
 *
 * @since 0.1.0
 * @category models
 */
export type { ArtifactKind }

/**
 * One stage run attempt. Kept for `plan`/`why`/`results`; an `ok` run also
 * binds its key to its output.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRecord {
  readonly key: CacheKey
  /** Pipeline file / name. */
  readonly pipeline: string
  /** Stage instance name (stable, from the DSL). */
  readonly stage: string
  /** Stage definition name. */
  readonly stageKind: string
  /** The structured key parts (JSON), diffed by plan/why. */
  readonly preimage: unknown
  /** Canonical decoded params (JSON). */
  readonly params: unknown
  readonly inputs: Readonly<Record<string, ContentHash>>
  readonly output: ContentHash | null
  readonly outputKind: ArtifactKind
  readonly status: "ok" | "failed" | "interrupted"
  /** Epoch milliseconds. */
  readonly startedAt: number
  readonly endedAt: number
  readonly metrics: Readonly<Record<string, number>> | null
  readonly logTail: string
  readonly error: string | null
}

/**
 * What a cache hit needs: the output a key is bound to and the run that
 * made it (for the time saved). `lookupMany` returns these rather than whole
 * run records, so a fully cached 10,000-stage plan reads no pre-images.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheHit {
  readonly key: CacheKey
  readonly output: ContentHash
  /** Pipeline and stage instance of the run that produced it. */
  readonly pipeline: string
  readonly stage: string
  readonly startedAt: number
  readonly endedAt: number
}

/**
 * Which runs `runs` returns (all fields optional, combined with AND),
 * newest first.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunFilter {
  readonly pipeline?: string
  readonly stage?: string
  readonly stageKind?: string
  readonly key?: CacheKey
  readonly status?: RunRecord["status"]
  /** Only runs started at or after this epoch millisecond. */
  readonly since?: number
  readonly limit?: number
}

/**
 * One stored artifact, as listed by `ls`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ArtifactInfo {
  readonly hash: ContentHash
  readonly kind: ArtifactKind
  readonly size: number
  readonly chunks: number
  readonly createdAt: number
  /** Last put / lookup / read (LRU clock used by gc). */
  readonly lastUsedAt: number
  readonly pinned: boolean
  /** Used by the last run of some pipeline (gc keeps it). */
  readonly protected: boolean
  /** How many cache keys are bound to it. */
  readonly keys: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LsOptions {
  readonly kind?: ArtifactKind
  /** "size" (largest first), "used" (least recently used first) or "created" (newest first). */
  readonly sort?: "size" | "used" | "created"
  readonly limit?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CacheStats {
  readonly path: string
  readonly artifacts: number
  /** Sum of artifact sizes (logical bytes). */
  readonly bytes: number
  readonly byKind: Readonly<Record<ArtifactKind, { readonly count: number; readonly bytes: number }>>
  readonly keys: number
  readonly runs: number
  readonly runsByStatus: Readonly<Record<RunRecord["status"], number>>
  readonly pinned: number
  readonly protected: number
  readonly pipelines: number
  /** Writes in progress or left behind by killed processes. */
  readonly incompleteUploads: number
  /** Size of the SQLite file and its WAL on disk (0 in memory). */
  readonly fileBytes: number
  readonly walBytes: number
  /** Bytes of the large artifacts kept as files beside the database (0 in memory). */
  readonly blobFileBytes: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /** Only these artifacts (default: all). */
  readonly hashes?: ReadonlyArray<ContentHash>
  /** Delete corrupt artifacts (and unbind their keys) so their stages re-run. */
  readonly remove?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VerifyReport {
  readonly checked: number
  readonly bytes: number
  readonly corrupt: ReadonlyArray<{ readonly hash: ContentHash; readonly actual: string | null; readonly detail: string }>
  readonly removed: number
  /** Listed artifacts that another process evicted while verify ran (not checked, not corrupt). */
  readonly evicted: number
  /** SQLite's own `PRAGMA quick_check` result ("ok" when sound). */
  readonly sqlite: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GcOptions {
  /** Evict least-recently-used artifacts until the total is at most this. */
  readonly maxBytes?: number
  /** Evict artifacts not used for this long. */
  readonly olderThanMs?: number
  /** Also evict pinned artifacts and those the last run of a pipeline used. */
  readonly includeProtected?: boolean
  /** Report what would be evicted without deleting. */
  readonly dryRun?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GcReport {
  readonly evicted: ReadonlyArray<{ readonly hash: ContentHash; readonly size: number; readonly lastUsedAt: number }>
  readonly freedBytes: number
  readonly remainingBytes: number
  /** Incomplete uploads of dead processes removed. */
  readonly abandonedUploads: number
  /** Candidates left alone because another live process (a run) may be using them. */
  readonly inUse: number
  readonly dryRun: boolean
}

/**
 * Selects what `exportTo` writes (default: every artifact and every run).
 *
 * @since 0.1.0
 * @category models
 */
export interface ExportFilter {
  /** Runs of these pipelines, and the artifacts they read or wrote. */
  readonly pipelines?: ReadonlyArray<string>
  /** These artifacts (plus the runs that produced them). */
  readonly hashes?: ReadonlyArray<ContentHash>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TransferReport {
  readonly file: string
  readonly artifacts: number
  readonly bytes: number
  readonly runs: number
  /** On import: artifacts / runs already present and left alone. */
  readonly skippedArtifacts: number
  readonly skippedRuns: number
}

/**
 * The cache service.
 *
 * Artifacts are content addressed and chunked. A write streams its chunks
 * into a staging upload in short transactions, then publishes the artifact
 * in one short transaction: a SIGKILL never leaves a partial artifact
 * visible, and a second process on the same file is never blocked for more
 * than one chunk's write. Reads verify the sha256.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheStoreService {
  /** Where the store lives (":memory:" for the test layer). */
  readonly path: string
  /** Store an artifact; idempotent (the same bytes give the same hash and are stored once). */
  readonly putArtifact: (
    kind: ArtifactKind,
    body: Uint8Array | AsyncIterable<Uint8Array>
  ) => Effect.Effect<ContentHash, CacheError>
  /** Read a whole artifact (one copy in memory), verifying its sha256. */
  readonly readArtifact: (hash: ContentHash) => Effect.Effect<Uint8Array, CacheError>
  /** Stream an artifact chunk by chunk; fails with `CorruptArtifact` at the end if the hash differs. */
  readonly streamArtifact: (hash: ContentHash) => Stream.Stream<Uint8Array, CacheError>
  /**
   * Hand an artifact's bytes to `f` piece by piece, each piece *borrowed*:
   * valid only until `f`'s effect completes (copy what must outlive it).
   * The fast read: a large artifact is read into a few reused buffers, so
   * it costs no memory per piece. Fails with `CorruptArtifact` at the end
   * if the bytes do not hash to the name (after `f` has seen them all).
   */
  readonly scanArtifact: <E, R>(
    hash: ContentHash,
    f: (piece: Uint8Array) => Effect.Effect<void, E, R>
  ) => Effect.Effect<void, CacheError | E, R>
  readonly hasArtifact: (hash: ContentHash) => Effect.Effect<boolean, CacheError>
  readonly artifactInfo: (hash: ContentHash) => Effect.Effect<Option.Option<ArtifactInfo>, CacheError>

  /** The last ok run bound to `key` whose artifact still exists; touches its LRU time. */
  readonly lookup: (key: CacheKey) => Effect.Effect<Option.Option<RunRecord>, CacheError>
  /** `lookup` of many keys in one query (touches their LRU times): the hits only, by key. */
  readonly lookupMany: (keys: ReadonlyArray<CacheKey>) => Effect.Effect<ReadonlyMap<CacheKey, CacheHit>, CacheError>
  /**
   * Record a run attempt. An `ok` run with an output binds key -> output in
   * the same transaction (fails with `MissingArtifact` if the output was not put).
   */
  readonly recordRun: (run: RunRecord) => Effect.Effect<void, CacheError>
  /**
   * Write every pending small write now (run records, small artifacts and
   * LRU times are batched: see docs/cache.md). Fails with `RunsNotRecorded`,
   * naming the keys whose records are not written, when the batch cannot be
   * written (a full disk); the batch is kept for a retry.
   */
  readonly flush: () => Effect.Effect<void, RunsNotRecorded>
  /** The latest run attempt (any status) of a stage instance of a pipeline. */
  readonly lastRun: (pipeline: string, stage: string) => Effect.Effect<Option.Option<RunRecord>, CacheError>
  /** `lastRun` of many stage instances in one query: those that ever ran, by stage name. */
  readonly lastRuns: (pipeline: string, stages: ReadonlyArray<string>) => Effect.Effect<ReadonlyMap<string, RunRecord>, CacheError>
  /** Run history, newest first. */
  readonly runs: (filter?: RunFilter) => Effect.Effect<ReadonlyArray<RunRecord>, CacheError>
  /** Replace the set of artifacts a pipeline's latest run used; gc keeps them. */
  readonly markPipelineUse: (pipeline: string, outputs: ReadonlyArray<ContentHash>) => Effect.Effect<void, CacheError>

  readonly ls: (options?: LsOptions) => Effect.Effect<ReadonlyArray<ArtifactInfo>, CacheError>
  readonly stats: () => Effect.Effect<CacheStats, CacheError>
  /** Re-hash every (or the given) artifact and report the corrupt ones. */
  readonly verify: (options?: VerifyOptions) => Effect.Effect<VerifyReport, CacheError>
  readonly gc: (options?: GcOptions) => Effect.Effect<GcReport, CacheError>
  /** Pin an artifact by content hash, or the artifact a cache key is bound to; returns the hash. */
  readonly pin: (target: string) => Effect.Effect<ContentHash, CacheError | UnknownTarget>
  readonly unpin: (target: string) => Effect.Effect<ContentHash, CacheError | UnknownTarget>
  /** Write artifacts and their run records to one self-contained SQLite file. */
  readonly exportTo: (file: string, filter?: ExportFilter) => Effect.Effect<TransferReport, CacheError>
  /** Read an export file: verifies every hash, idempotent. */
  readonly importFrom: (file: string) => Effect.Effect<TransferReport, CacheError | MissingArtifact>
}

/**
 * @since 0.1.0
 * @category models
 */
export class CacheStore extends Context.Tag("clipcl/CacheStore")<CacheStore, CacheStoreService>() {}

/**
 * The default store file, relative to the working directory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultCachePath = "cache/clipcl.sqlite"

/**
 * Open a store as a scoped effect (closed with the scope), for code that
 * does not use layers (benchmarks, scripts).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (path: string, options?: CacheStoreOptions) => Effect.Effect<CacheStoreService, StoreOpenFailed, Scope.Scope> =
  makeStore

/**
 * The SQLite store at `path` (WAL, chunked artifacts), created if absent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const CacheStoreLive = (path: string = defaultCachePath, options?: CacheStoreOptions): Layer.Layer<CacheStore, StoreOpenFailed> =>
  Layer.scoped(CacheStore, makeStore(path, options))

/**
 * A private in-memory store with the very same behaviour (it is the SQLite
 * store on ":memory:"), for tests. Each build of the layer is a fresh store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const CacheStoreMemory: Layer.Layer<CacheStore> = Layer.scoped(CacheStore, Effect.orDie(makeStore(":memory:")))

/**
 * `CacheStoreMemory` with options (e.g. a tiny `chunkSize` or a fake clock).
 *
 * @since 0.1.0
 * @category constructors
 */
export const cacheStoreMemory = (options?: CacheStoreOptions): Layer.Layer<CacheStore> =>
  Layer.scoped(CacheStore, Effect.orDie(makeStore(":memory:", options)))
