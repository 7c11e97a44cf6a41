/**
 * What every part of an open store shares: the connection, its prepared
 * statements, the group commit of small writes, the store's settings, and
 * the handling of failures (a full disk among them).
 *
 * Every better-sqlite3 call is synchronous; none of them ever holds a
 * transaction open across an `await`, so fibers of one process interleave
 * safely on the single connection and other processes wait at most one
 * short transaction (one chunk, or one publish) for the write lock.
 *
 * @internal
 */
import type Database from "better-sqlite3"
import { hostname } from "node:os"
import { Effect } from "effect"
import { StoreFailed } from "../CacheError.js"
import { blobDir } from "./blobFiles.js"
import { makeGroupCommit, type GroupCommit, type GroupCommitOptions } from "./groupCommit.js"
import { openDatabase } from "./open.js"
import { BIND_SQL, INSERT_RUN_SQL, type ArtifactRow } from "./rows.js"

/**
 * Tuning knobs of a store. Defaults suit 1-2 GB checkpoints; tests shrink
 * `chunkSize` so that multi-chunk paths run on tiny data.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheStoreOptions {
  /** Bytes per chunk row (default 4 MiB). */
  readonly chunkSize?: number
  /** How long a statement waits for another process's write lock (default 15 s). */
  readonly busyTimeoutMs?: number
  /** An upload not touched for this long is abandoned even if its process lives (default 6 h). */
  readonly staleUploadMs?: number
  /** Clock (epoch ms), for tests of age-based gc. */
  readonly now?: () => number
  /**
   * Artifacts larger than this many bytes are stored as one file beside the
   * database instead of chunk rows (default 32 MiB; an in-memory store
   * never uses files). Up to this many bytes of a streamed put are held in
   * memory until its size is known to be under or over it.
   */
  readonly fileThreshold?: number
  /**
   * Read and write blob files with O_DIRECT where the file system allows it
   * (default true; see directIo.ts). False: always through the page cache.
   */
  readonly directIo?: boolean
  /** Batching of small writes (see groupCommit.ts). */
  readonly groupCommit?: GroupCommitOptions
}

const DEFAULT_CHUNK = 4 * 1024 * 1024
/** Artifacts larger than this keep their bytes in a blob file (blobFiles.ts). */
const DEFAULT_FILE_THRESHOLD = 32 * 1024 * 1024

/** The prepared statements every part of a store uses, by name. */
export type Statements = { readonly [K in StatementName]: Database.Statement }

type StatementName =
  "artifact" |
  "hasArtifact" |
  "chunk" |
  "newUpload" |
  "touchUpload" |
  "uploadExists" |
  "insertChunk" |
  "publish" |
  "deleteUpload" |
  "maxChunk" |
  "lookup" |
  "insertRun" |
  "bind" |
  "lookupMany" |
  "claim" |
  "sessions" |
  "dropSession" |
  "newSession" |
  "lastRun" |
  "lastRuns" |
  "bindingFor" |
  "pipelineUses" |
  "abandoned"

/** The statements every part uses, prepared once per store. */
const prepareStatements = (db: Database.Database): Statements => ({
  artifact: db.prepare("SELECT * FROM artifacts WHERE hash = ?"),
  hasArtifact: db.prepare("SELECT 1 FROM artifacts WHERE hash = ?").pluck(),
  chunk: db.prepare("SELECT data FROM chunks WHERE blob = ? AND idx = ?").pluck(),
  newUpload: db.prepare(
    "INSERT INTO uploads(state, pid, host, started_at, touched_at) VALUES (?, ?, ?, ?, ?)"
  ),
  touchUpload: db.prepare("UPDATE uploads SET touched_at = ? WHERE id = ?"),
  uploadExists: db.prepare("SELECT 1 FROM uploads WHERE id = ?").pluck(),
  insertChunk: db.prepare("INSERT INTO chunks(blob, idx, data) VALUES (?, ?, ?)"),
  publish: db.prepare(
    `INSERT INTO artifacts(hash, blob, kind, size, chunks, created_at, last_used_at, file)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO NOTHING`
  ),
  deleteUpload: db.prepare("DELETE FROM uploads WHERE id = ?"),
  maxChunk: db.prepare("SELECT max(idx) FROM chunks WHERE blob = ?").pluck(),
  lookup: db.prepare(
    `SELECT r.* FROM bindings b JOIN runs r ON r.id = b.run JOIN artifacts a ON a.hash = b.output
     WHERE b.key = ?`
  ),
  insertRun: db.prepare(INSERT_RUN_SQL),
  bind: db.prepare(BIND_SQL),
  // Many keys in one statement: the keys travel as one JSON array.
  lookupMany: db.prepare(
    `SELECT b.key, b.output, r.pipeline, r.stage, r.started_at AS startedAt, r.ended_at AS endedAt,
       a.last_used_at AS usedAt
     FROM json_each(?) k JOIN bindings b ON b.key = k.value JOIN runs r ON r.id = b.run
     JOIN artifacts a ON a.hash = b.output`
  ),
  claim: db.prepare("UPDATE artifacts SET last_used_at = max(last_used_at, ?) WHERE hash = ?"),
  sessions: db.prepare("SELECT id, pid, host, started_at FROM sessions WHERE id != ?"),
  dropSession: db.prepare("DELETE FROM sessions WHERE id = ?"),
  newSession: db.prepare("INSERT INTO sessions(pid, host, started_at) VALUES (?, ?, ?)"),
  lastRun: db.prepare("SELECT * FROM runs WHERE pipeline = ? AND stage = ? ORDER BY id DESC LIMIT 1"),
  lastRuns: db.prepare(
    `SELECT r.* FROM json_each(?) s
     JOIN runs r ON r.id = (SELECT max(id) FROM runs WHERE pipeline = ? AND stage = s.value)`
  ),
  bindingFor: db.prepare("SELECT output FROM bindings WHERE key = ?").pluck(),
  pipelineUses: db.prepare("SELECT hash FROM pipeline_uses WHERE pipeline = ?").pluck(),
  abandoned: db.prepare("SELECT id, pid, host, touched_at FROM uploads")
})


/** An open store's shared state; each part of the store is built over it. */
export interface StoreContext {
  readonly db: Database.Database
  readonly path: string
  /** A private ":memory:" store: no blob files, no sessions, no WAL. */
  readonly memory: boolean
  /** Folder of the blob files, null for an in-memory store. */
  readonly blobs: string | null
  readonly chunkSize: number
  readonly fileThreshold: number
  readonly direct: { readonly direct: boolean }
  readonly staleUploadMs: number
  readonly host: string
  readonly now: () => number
  readonly st: Statements
  /** Small writes and LRU touches, group-committed (see groupCommit.ts). */
  readonly batch: GroupCommit
  /** A failure of `operation` as a StoreFailed (noting a full disk on the way). */
  readonly fail: (operation: string) => (cause: unknown) => StoreFailed
  /** Run synchronous SQLite work as an effect that fails with StoreFailed. */
  readonly sql: <A>(operation: string, f: () => A) => Effect.Effect<A, StoreFailed>
  /** Note a failed write: after a full disk the WAL is truncated as soon as possible. */
  readonly noteFailure: (e: unknown) => void
  /** Whether a write has failed for lack of space. */
  readonly diskFull: () => boolean
  /**
   * Checkpoint the whole WAL and truncate it to zero bytes. It waits for
   * readers of other processes only briefly (their snapshots pin the WAL),
   * so it may leave the WAL as is; the next call tries again.
   */
  readonly checkpointTruncate: () => void
  /** Queue an LRU touch. */
  readonly touch: (hash: string) => void
  /** The artifact's row (a pending one is written first). */
  readonly artifactRow: (hash: string) => ArtifactRow | undefined
  /** Whether the artifact is stored or pending. */
  readonly hasArtifact: (hash: string) => boolean
}

/**
 * Open the database at `path` (":memory:" for a private one) and build the
 * shared context over it; throws when it cannot be opened.
 */
export const makeContext = (path: string, options: CacheStoreOptions): StoreContext => {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK))
  const now = options.now ?? Date.now
  const memory = path === ":memory:"
  const db = openDatabase(path, options.busyTimeoutMs ?? 15_000)
  const host = hostname()
  const st = prepareStatements(db)

  /** Set once a write failed for lack of space: the WAL is then truncated as soon as possible. */
  let diskFull = false
  const checkpointTruncate = (): void => {
    if (memory) return
    const busy = db.pragma("busy_timeout", { simple: true }) as number
    db.pragma("busy_timeout = 250")
    try {
      db.pragma("wal_checkpoint(TRUNCATE)")
    } finally {
      db.pragma(`busy_timeout = ${busy}`)
    }
  }
  const noteFailure = (e: unknown): void => {
    const code = (e as { code?: unknown } | null)?.code
    if (code === "SQLITE_FULL" || code === "ENOSPC" || /database or disk is full/.test(String((e as Error)?.message))) {
      diskFull = true
      try {
        checkpointTruncate()
      } catch {
        // Retried at the next failure, by gc and on close.
      }
    }
  }
  const fail = (operation: string) => (cause: unknown) => {
    noteFailure(cause)
    return new StoreFailed({ path, operation, cause })
  }
  const sql = <A>(operation: string, f: () => A): Effect.Effect<A, StoreFailed> =>
    Effect.try({ try: f, catch: fail(operation) })

  const batch = makeGroupCommit(db, { now, host, onError: (e) => noteFailure(e) }, options.groupCommit)

  return {
    db,
    path,
    memory,
    blobs: memory ? null : blobDir(path),
    chunkSize,
    fileThreshold: Math.max(0, options.fileThreshold ?? DEFAULT_FILE_THRESHOLD),
    direct: { direct: options.directIo ?? true },
    staleUploadMs: options.staleUploadMs ?? 6 * 3600_000,
    host,
    now,
    st,
    batch,
    fail,
    sql,
    noteFailure,
    diskFull: () => diskFull,
    checkpointTruncate,
    touch: (hash) => batch.touch(hash),
    artifactRow: (hash) => {
      if (batch.hasArtifact(hash)) batch.flush()
      return st.artifact.get(hash) as ArtifactRow | undefined
    },
    hasArtifact: (hash) => batch.hasArtifact(hash) || st.hasArtifact.get(hash) !== undefined
  }
}
