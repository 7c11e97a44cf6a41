/**
 * The SQLite implementation of `CacheStore` (the in-memory test layer is the
 * same code on a ":memory:" database, so both behave identically).
 *
 * Every better-sqlite3 call is synchronous; none of them ever holds a
 * transaction open across an `await`, so fibers of one process interleave
 * safely on the single connection and other processes wait at most one
 * short transaction (one chunk, or one publish) for the write lock.
 *
 * @internal
 */
import Database from "better-sqlite3"
import { createHash, randomUUID } from "node:crypto"
import { accessSync, constants as fsc, mkdirSync, statSync } from "node:fs"
import { hostname } from "node:os"
import { dirname } from "node:path"
import { Effect, Option, Stream } from "effect"
import type { Scope } from "effect"
import {
  CorruptArtifact,
  MissingArtifact,
  RunsNotRecorded,
  StoreFailed,
  StoreOpenFailed,
  UnknownTarget,
  type CacheError
} from "../CacheError.js"
import type {
  ArtifactInfo,
  ArtifactKind,
  CacheHit,
  CacheKey,
  CacheStats,
  CacheStoreService,
  ContentHash,
  GcOptions,
  GcReport,
  LsOptions,
  RunFilter,
  RunRecord,
  VerifyOptions,
  VerifyReport
} from "../CacheStore.js"
import { configure, DDL, MIGRATIONS, SCHEMA_VERSION } from "./schema.js"
import {
  blobDir,
  BlobFileDamaged,
  blobFileSize,
  createBlobFile,
  ensureBlobDir,
  listBlobFiles,
  openBlobReader,
  readBlobFileSync,
  removeBlobFile,
  type BlobFileReader,
  type BlobFileWriter,
  type ReadInto
} from "./blobFiles.js"
import { exportStore, importStore } from "./transfer.js"
import { makeGroupCommit, type GroupCommitOptions, type RunParams } from "./groupCommit.js"

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
   * (default true; see blobFiles.ts). False: always through the page cache.
   */
  readonly directIo?: boolean
  /** Batching of small writes (see groupCommit.ts). */
  readonly groupCommit?: GroupCommitOptions
}

/** Everything the transfer module needs of an open store. */
export interface StoreInternals {
  readonly db: Database.Database
  readonly path: string
  readonly chunkSize: number
  readonly now: () => number
  readonly fail: (operation: string) => (cause: unknown) => StoreFailed
  readonly hasArtifact: (hash: string) => boolean
  readonly artifactRow: (hash: string) => ArtifactRow | undefined
  /**
   * An artifact's bytes in pieces (chunk rows or its blob file), each valid
   * only until the next is taken; throws CorruptArtifact when parts are missing.
   */
  readonly pieces: (row: ArtifactRow) => Iterable<Uint8Array>
  readonly upload: (
    kind: ArtifactKind,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: string
  ) => Effect.Effect<ContentHash, CacheError>
  readonly bindRunRow: (runId: number, key: string, output: string, endedAt: number) => void
}

export interface ArtifactRow {
  readonly hash: string
  readonly blob: number
  readonly kind: ArtifactKind
  readonly size: number
  readonly chunks: number
  readonly created_at: number
  readonly last_used_at: number
  /** 1: the bytes are a blob file (blobFiles.ts), not chunk rows. */
  readonly file: number
}

/** A `runs` row as stored: the bound parameters plus its row id. */
export interface RunRow extends RunParams {
  readonly id: number
}

const DEFAULT_CHUNK = 4 * 1024 * 1024
/** Artifacts larger than this keep their bytes in a blob file (blobFiles.ts). */
const DEFAULT_FILE_THRESHOLD = 32 * 1024 * 1024
/** Chunks deleted per transaction when freeing a blob: keeps each write short. */
const DELETE_BATCH = 16
/** Largest buffer put through the group commit (one chunk, copied while pending). */
const SMALL_PUT = 1024 * 1024

export const rowToRun = (r: RunRow): RunRecord => ({
  key: r.key as CacheKey,
  pipeline: r.pipeline,
  stage: r.stage,
  stageKind: r.stage_kind,
  preimage: JSON.parse(r.preimage),
  params: JSON.parse(r.params),
  inputs: JSON.parse(r.inputs),
  output: r.output as ContentHash | null,
  outputKind: r.output_kind as ArtifactKind,
  status: r.status as RunRecord["status"],
  startedAt: r.started_at,
  endedAt: r.ended_at,
  metrics: r.metrics === null ? null : JSON.parse(r.metrics),
  logTail: r.log_tail,
  error: r.error
})

const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Why a path cannot be written, in words (from an errno code). */
const errnoWords = (code: string | undefined): string =>
  code === "EACCES" || code === "EPERM"
    ? "permission denied"
    : code === "EROFS"
      ? "read-only file system"
      : code === "ENOSPC"
        ? "no space left on the device"
        : code ?? "unknown error"

const statOf = (p: string) => {
  try {
    return statSync(p)
  } catch {
    return undefined
  }
}

/**
 * Make the store's folder, or throw an Error saying in one line which path
 * is at fault and why (a parent that is a file, a read-only or unwritable
 * folder), instead of mkdir's or SQLite's own codes.
 */
const prepareLocation = (path: string): void => {
  const dir = dirname(path)
  // The nearest ancestor that exists tells what is wrong.
  let at = dir
  while (statOf(at) === undefined && dirname(at) !== at) at = dirname(at)
  const st = statOf(at)
  if (st !== undefined && !st.isDirectory()) throw new Error(`${at} is a file, not a folder`)
  const self = statOf(path)
  if (self?.isDirectory()) throw new Error(`${path} is a folder, not a cache file`)
  const writable = (p: string): string | undefined => {
    try {
      accessSync(p, fsc.W_OK)
      return undefined
    } catch (e) {
      return errnoWords((e as NodeJS.ErrnoException).code)
    }
  }
  if (at !== dir) {
    const why = writable(at)
    if (why !== undefined) throw new Error(`cannot create the folder ${dir}: ${why} (in ${at})`)
    try {
      mkdirSync(dir, { recursive: true })
    } catch (e) {
      throw new Error(`cannot create the folder ${dir}: ${errnoWords((e as NodeJS.ErrnoException).code)}`)
    }
  }
  // A new cache needs to create its file (and WAL) in the folder; an existing one needs the file writable.
  const why = self === undefined ? writable(dir) : writable(path)
  if (why !== undefined) throw new Error(self === undefined ? `the folder ${dir} is not writable: ${why}` : `${path} is not writable: ${why}`)
}

const asyncPieces = (body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncIterable<Uint8Array> =>
  Symbol.asyncIterator in body
    ? (body as AsyncIterable<Uint8Array>)
    : (async function* () {
        yield* body as Iterable<Uint8Array>
      })()

/**
 * Open (creating if needed) a store at `path` (":memory:" for a private
 * in-memory one). Closed when the scope closes.
 */
export const makeStore = (
  path: string,
  options: CacheStoreOptions = {}
): Effect.Effect<CacheStoreService, StoreOpenFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => openStore(path, options),
      catch: (cause) => new StoreOpenFailed({ path, cause })
    }),
    (s) => Effect.promise(() => s.close())
  ).pipe(Effect.map((s) => s.service))

interface OpenStore {
  readonly service: CacheStoreService
  readonly close: () => Promise<void>
}

const openStore = (path: string, options: CacheStoreOptions): OpenStore => {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_CHUNK))
  const now = options.now ?? Date.now
  const staleUploadMs = options.staleUploadMs ?? 6 * 3600_000
  const memory = path === ":memory:"
  if (!memory) prepareLocation(path)
  /** Folder of the blob files, null for an in-memory store. */
  const blobs = memory ? null : blobDir(path)
  const fileThreshold = Math.max(0, options.fileThreshold ?? DEFAULT_FILE_THRESHOLD)
  const direct = { direct: options.directIo ?? true }
  const db = new Database(path)
  const host = hostname()
  /** This store's row in `sessions` (0 until it first uses an artifact; always 0 in memory) and when it began. */
  let session = 0
  let sessionStart = 0
  try {
    configure(db, options.busyTimeoutMs ?? 15_000)
    db.transaction(() => {
      db.exec(DDL)
      const v = db.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get() as string | undefined
      if (v === undefined) db.prepare("INSERT INTO meta(k, v) VALUES ('schema', ?)").run(String(SCHEMA_VERSION))
      else {
        let at = Number(v)
        while (at < SCHEMA_VERSION && MIGRATIONS[at] !== undefined) db.exec(MIGRATIONS[at++]!)
        if (at !== SCHEMA_VERSION) throw new Error(`schema version ${v}, this clipcl reads version ${SCHEMA_VERSION}`)
        if (at !== Number(v)) db.prepare("UPDATE meta SET v = ? WHERE k = 'schema'").run(String(at))
      }
    }).immediate()
  } catch (e) {
    db.close()
    throw e
  }
  const fail = (operation: string) => (cause: unknown) => {
    noteFailure(cause)
    return new StoreFailed({ path, operation, cause })
  }
  const sql = <A>(operation: string, f: () => A): Effect.Effect<A, StoreFailed> =>
    Effect.try({ try: f, catch: fail(operation) })

  // ---- prepared statements -------------------------------------------------
  const st = {
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
    insertRun: db.prepare(
      `INSERT INTO runs(uid, key, pipeline, stage, stage_kind, preimage, params, inputs, output,
         output_kind, status, started_at, ended_at, metrics, log_tail, error)
       VALUES (@uid, @key, @pipeline, @stage, @stage_kind, @preimage, @params, @inputs, @output,
         @output_kind, @status, @started_at, @ended_at, @metrics, @log_tail, @error)`
    ),
    bind: db.prepare(
      `INSERT INTO bindings(key, run, output, ended_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET run = excluded.run, output = excluded.output,
         ended_at = excluded.ended_at
       WHERE excluded.ended_at >= bindings.ended_at`
    ),
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
  }

  // ---- small writes and LRU touches: group-committed (see groupCommit.ts) ---
  const batch = makeGroupCommit(db, { now, host, onError: (e) => noteFailure(e) }, options.groupCommit)
  const touch = (hash: string): void => batch.touch(hash)
  /** Buffers up to this size are group-committed; larger ones stream through an upload. */
  const smallPut = Math.min(chunkSize, SMALL_PUT)

  const artifactRow = (hash: string): ArtifactRow | undefined => {
    if (batch.hasArtifact(hash)) batch.flush()
    return st.artifact.get(hash) as ArtifactRow | undefined
  }
  const hasArtifact = (hash: string): boolean => batch.hasArtifact(hash) || st.hasArtifact.get(hash) !== undefined

  // ---- a full disk --------------------------------------------------------------
  /** Set once a write failed for lack of space: the WAL is then truncated as soon as possible. */
  let diskFull = false
  /**
   * Checkpoint the whole WAL and truncate it to zero bytes. It waits for
   * readers of other processes only briefly (their snapshots pin the WAL),
   * so it may leave the WAL as is; the next call tries again.
   */
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

  // ---- sessions: what gc must leave alone ------------------------------------
  // A process relies on an artifact only after claiming it: its row's
  // last_used_at is at least the process's session start, committed. gc
  // evicts only artifacts last used before the oldest other live session
  // began, deciding in the same transaction that deletes the row, so a claim
  // and an eviction are ordered by SQLite's write lock: either the claim
  // wins and gc skips the artifact, or the eviction wins and the claim sees
  // no row (the put re-stores it, the lookup misses and the stage re-runs).

  /** Earliest start of another live session (Infinity when none); sessions of dead processes are dropped. */
  const liveCutoff = (): number => {
    let cutoff = Infinity
    for (const r of st.sessions.all(session) as Array<{ id: number; pid: number; host: string; started_at: number }>) {
      const live = r.host === host ? isProcessAlive(r.pid) : now() - r.started_at <= staleUploadMs
      if (live) cutoff = Math.min(cutoff, r.started_at)
      else st.dropSession.run(r.id)
    }
    return cutoff
  }

  /**
   * Register this process's session before its first use of an artifact
   * (a put, a lookup, a read). Processes that only inspect (ls, stats,
   * verify, gc) never register, so they protect nothing.
   */
  let sessionTried = false
  const ensureSession = (): void => {
    if (memory || sessionTried) return
    sessionTried = true
    const t = now()
    try {
      session = Number(st.newSession.run(process.pid, host, t).lastInsertRowid)
      sessionStart = t
    } catch (e) {
      // A store that cannot be written (read-only, full) still reads; nothing it uses is protected.
      noteFailure(e)
    }
  }
  /** Claim by one UPDATE; false when the row is gone. A claim that cannot be written protects nothing but loses nothing. */
  const claimWrite = (hash: string, t: number): boolean => {
    try {
      return st.claim.run(t, hash).changes > 0
    } catch (e) {
      noteFailure(e)
      return st.hasArtifact.get(hash) !== undefined
    }
  }

  /** The artifact's row, claimed for this session (undefined: not stored, or just evicted). */
  const claimRow = (hash: string): ArtifactRow | undefined => {
    ensureSession()
    if (batch.hasArtifact(hash)) batch.flush()
    const row = st.artifact.get(hash) as ArtifactRow | undefined
    if (row === undefined || memory || row.last_used_at >= sessionStart) return row
    if (!claimWrite(hash, Math.max(now(), sessionStart))) return undefined
    return st.artifact.get(hash) as ArtifactRow | undefined
  }
  const readChunk = (blob: number, idx: number): Buffer | undefined => st.chunk.get(blob, idx) as Buffer | undefined

  // ---- blobs -----------------------------------------------------------------
  /** Delete a blob's chunks in short transactions and its file, then its uploads row. */
  const freeBlob = (blob: number): void => {
    for (;;) {
      const top = st.maxChunk.get(blob) as number | null
      if (top === null) break
      const from = Math.max(0, top - DELETE_BATCH + 1)
      db.transaction(() => db.prepare("DELETE FROM chunks WHERE blob = ? AND idx >= ?").run(blob, from)).immediate()
    }
    if (blobs !== null) removeBlobFile(blobs, blob)
    st.deleteUpload.run(blob)
  }

  /** Sweep uploads left by dead (or long-silent) processes. */
  const sweepAbandoned = (): number => {
    const rows = st.abandoned.all() as Array<{ id: number; pid: number; host: string; touched_at: number }>
    let n = 0
    for (const r of rows) {
      const dead =
        now() - r.touched_at > staleUploadMs ||
        (r.host === host && r.pid !== process.pid && !isProcessAlive(r.pid))
      if (dead) {
        freeBlob(r.id)
        n++
      }
    }
    return n
  }

  /** Blob files are created lazily (a store of small artifacts never makes the folder). */
  let blobDirReady = false
  const newBlobFile = (blob: number): BlobFileWriter => {
    if (!blobDirReady) {
      ensureBlobDir(blobs!)
      blobDirReady = true
    }
    return createBlobFile(blobs!, blob, direct)
  }

  /**
   * Blob files that no row names (possible only after a power loss lost the
   * commits naming them). Files are listed before the rows are read: a file
   * exists only after its uploads row was committed, so a live upload is
   * never mistaken for an orphan. Both tables are read in one statement (one
   * snapshot): a publish turns an uploads row into an artifacts row in one
   * transaction, and two statements could see neither.
   */
  const sweepOrphanFiles = (): number => {
    if (blobs === null) return 0
    const files = listBlobFiles(blobs)
    if (files.length === 0) return 0
    const known = new Set<number>(
      db.prepare("SELECT blob FROM artifacts WHERE file = 1 UNION ALL SELECT id FROM uploads").pluck().all() as Array<number>
    )
    let n = 0
    for (const id of files)
      if (!known.has(id)) {
        removeBlobFile(blobs, id)
        n++
      }
    return n
  }

  /**
   * Stream `body` into a fresh blob, hash it on the way, then publish it
   * under its hash (or drop it if that hash is already stored).
   *
   * The first `fileThreshold` bytes are held in memory (in chunk-size
   * pieces). A body that ends within them becomes chunk rows, each inserted
   * in its own short transaction; a larger one becomes a blob file
   * (blobFiles.ts): the held pieces are written to it and the rest streams
   * straight in, each piece hashed while the kernel copies it. An in-memory
   * store always uses chunk rows. Interrupted or failed writes free their
   * blob; a killed process leaves an uploads row that the next open or gc
   * sweeps (with its chunks and file).
   */
  const upload = (
    kind: ArtifactKind,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: string
  ): Effect.Effect<ContentHash, CacheError> => {
    let file: BlobFileWriter | null = null
    return Effect.acquireUseRelease(
      sql("putArtifact", () => {
        ensureSession()
        const t = now()
        return Number(st.newUpload.run("writing", process.pid, host, t, t).lastInsertRowid)
      }),
      (blob) =>
        Effect.gen(function* () {
          const hasher = createHash("sha256")
          let size = 0
          let idx = 0
          let buf: Buffer | null = null
          let fill = 0
          /** Chunks held while it is open whether the body fits under the threshold (null: rows go straight in). */
          let held: Array<Uint8Array> | null = blobs === null ? null : []
          let sinceTouch = 0
          const touchEvery = 16 * chunkSize
          const touched = (n: number): void => {
            sinceTouch += n
            if (sinceTouch >= touchEvery) {
              sinceTouch = 0
              st.touchUpload.run(now(), blob)
            }
          }
          const emit = (data: Uint8Array, copy: boolean): void => {
            if (held !== null) held.push(copy ? Uint8Array.prototype.slice.call(data) : data)
            else {
              st.insertChunk.run(blob, idx, data)
              touched(data.byteLength)
            }
            idx++
          }
          /** Cut a piece into chunks (rows, or held). */
          const cut = (piece: Uint8Array): void => {
            let off = 0
            while (off < piece.byteLength) {
              if (fill === 0 && piece.byteLength - off >= chunkSize) {
                emit(piece.subarray(off, off + chunkSize), true)
                off += chunkSize
                continue
              }
              buf ??= Buffer.allocUnsafe(chunkSize)
              const n = Math.min(chunkSize - fill, piece.byteLength - off)
              buf.set(piece.subarray(off, off + n), fill)
              fill += n
              off += n
              if (fill === chunkSize) {
                emit(buf, false)
                // A held buffer is kept: the next chunk needs its own.
                if (held !== null) buf = null
                fill = 0
              }
            }
          }
          const writeFile = (data: Uint8Array, hash: boolean): Effect.Effect<void, StoreFailed> =>
            // Uninterruptible per piece: a write in flight must finish before the file is closed.
            Effect.uninterruptible(
              Effect.tryPromise({
                try: async () => {
                  const w = file!.write(data)
                  if (hash) hasher.update(data)
                  await w
                  touched(data.byteLength)
                },
                catch: fail("putArtifact: writing the blob file")
              })
            )
          /** Past the threshold: open the file and move the held chunks into it. */
          const toFile = Effect.gen(function* () {
            file = yield* sql("putArtifact", () => newBlobFile(blob))
            for (const c of held!) yield* writeFile(c, false)
            if (fill > 0) yield* writeFile(buf!.subarray(0, fill), false)
            held = null
            buf = null
            fill = 0
          })
          yield* Stream.fromAsyncIterable(asyncPieces(body), fail("putArtifact: reading the body")).pipe(
            Stream.runForEach((piece) => {
              if (file !== null) {
                size += piece.byteLength
                return writeFile(piece, true)
              }
              return Effect.flatMap(
                sql("putArtifact", () => {
                  hasher.update(piece)
                  size += piece.byteLength
                  cut(piece)
                  return held !== null && size > fileThreshold
                }),
                (past) => (past ? toFile : Effect.void)
              )
            })
          )
          if (file !== null) yield* Effect.uninterruptible(Effect.tryPromise({ try: () => file!.finish(), catch: fail("putArtifact: syncing the blob file") }))
          else
            yield* sql("putArtifact", () => {
              if (held !== null) {
                // Under the threshold: the held chunks become rows after all.
                const rest = held
                held = null
                idx = 0
                for (const c of rest) emit(c, false)
              }
              if (fill > 0 && buf !== null) emit(buf.subarray(0, fill), false)
            })
          const hash = hasher.digest("hex")
          if (expected !== undefined && expected !== hash)
            return yield* new CorruptArtifact({ hash: expected, actual: hash, detail: "bytes do not match the declared hash" })
          const inFile = file !== null
          const chunks = inFile ? 0 : idx
          const published = yield* sql("putArtifact", () =>
            db.transaction(() => {
              if (st.uploadExists.get(blob) === undefined)
                throw new Error("the upload was swept as abandoned before it finished")
              const t = Math.max(now(), sessionStart)
              const fresh = st.publish.run(hash, blob, kind, size, chunks, t, t, inFile ? 1 : 0).changes === 1
              if (fresh) st.deleteUpload.run(blob)
              // Already stored: claim it (gc must not take it from under this session).
              else st.claim.run(t, hash)
              return fresh
            }).immediate()
          )
          if (!published)
            yield* sql("putArtifact", () => {
              // A stored copy that is missing or damaged is replaced by this one (the repair path).
              if (!replaceIfDamaged(hash, blob, kind, size, chunks, inFile)) freeBlob(blob)
            })
          return hash as ContentHash
        }),
      (blob, exit) =>
        Effect.promise(async () => {
          if (exit._tag !== "Failure") return
          // Writes in flight finish before the file is closed and deleted.
          await (file as BlobFileWriter | null)?.abort()
          try {
            if (db.open && !hasPublished(blob)) freeBlob(blob)
          } catch {
            // Left for the sweep on next open / gc.
          }
        })
    )
  }

  /**
   * After a put found `hash` already stored: re-hash the stored copy and, if
   * it is missing or damaged, publish the new blob under the hash instead
   * (keys bound to the hash stay bound). True when the new blob was kept.
   */
  const replaceIfDamaged = (hash: string, blob: number, kind: ArtifactKind, size: number, chunks: number, inFile: boolean): boolean => {
    const old = st.artifact.get(hash) as ArtifactRow | undefined
    if (old !== undefined && check(old) === null) return false
    const kept = db.transaction(() => {
      const now_ = st.artifact.get(hash) as ArtifactRow | undefined
      // Another process replaced it meanwhile: its copy stands.
      if (now_ !== undefined && now_.blob !== old?.blob) return false
      if (st.uploadExists.get(blob) === undefined) throw new Error("the upload was swept as abandoned before it finished")
      const t = Math.max(now(), sessionStart)
      if (now_ === undefined) st.publish.run(hash, blob, kind, size, chunks, t, t, inFile ? 1 : 0)
      else {
        db.prepare("UPDATE artifacts SET blob = ?, kind = ?, size = ?, chunks = ?, file = ?, last_used_at = max(last_used_at, ?) WHERE hash = ?").run(
          blob, kind, size, chunks, inFile ? 1 : 0, t, hash
        )
        db.prepare("INSERT INTO uploads(id, state, pid, host, started_at, touched_at) VALUES (?, 'deleting', ?, ?, ?, ?)").run(
          now_.blob, process.pid, host, t, t
        )
      }
      st.deleteUpload.run(blob)
      return true
    }).immediate()
    if (kept && old !== undefined) freeBlob(old.blob)
    return kept
  }

  const hasPublished = (blob: number): boolean =>
    db.prepare("SELECT 1 FROM artifacts WHERE blob = ?").pluck().get(blob) !== undefined

  // ---- reads -----------------------------------------------------------------
  const requireArtifact = (hash: ContentHash, operation: string): Effect.Effect<ArtifactRow, CacheError> =>
    Effect.flatMap(sql(operation, () => claimRow(hash)), (row) =>
      row === undefined ? Effect.fail(new MissingArtifact({ hash })) : Effect.succeed(row)
    )

  const chunkOrCorrupt = (row: ArtifactRow, idx: number): Buffer => {
    const data = readChunk(row.blob, idx)
    if (data === undefined) throw new CorruptArtifact({ hash: row.hash, detail: `chunk ${idx} of ${row.chunks} is missing` })
    return data
  }

  /** Throws CorruptArtifact unless the bytes hashed into `hasher` are the artifact's name. */
  const checkHash = (row: ArtifactRow, hasher: ReturnType<typeof createHash>): void => {
    const actual = hasher.digest("hex")
    if (actual !== row.hash) throw new CorruptArtifact({ hash: row.hash, actual, detail: "content does not hash to its name" })
  }

  const readAll = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    row.file === 1 ? readAllFile(row) : readAllRows(row)

  const readAllRows = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    Effect.try({
      try: () => {
        const hasher = createHash("sha256")
        let out: Buffer
        if (row.chunks === 1) {
          out = chunkOrCorrupt(row, 0)
          hasher.update(out)
        } else {
          out = Buffer.allocUnsafe(row.size)
          let off = 0
          for (let i = 0; i < row.chunks; i++) {
            const c = chunkOrCorrupt(row, i)
            if (off + c.byteLength > row.size) throw sizeMismatch(row)
            out.set(c, off)
            hasher.update(c)
            off += c.byteLength
          }
          if (off !== row.size) throw sizeMismatch(row)
        }
        if (out.byteLength !== row.size) throw sizeMismatch(row)
        checkHash(row, hasher)
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
      },
      catch: (e) => (e instanceof CorruptArtifact ? e : fail("readArtifact")(e))
    })

  const sizeMismatch = (row: ArtifactRow) =>
    new CorruptArtifact({ hash: row.hash, detail: `stored chunks do not add up to ${row.size} bytes` })

  const streamRow = (row: ArtifactRow): Stream.Stream<Uint8Array, CacheError> =>
    row.file === 1 ? streamFile(row) : streamRows(row, "streamArtifact")

  /** Chunk rows in order (each a fresh buffer from SQLite), then the size and hash checked. */
  const streamRows = (row: ArtifactRow, operation: string): Stream.Stream<Uint8Array, CacheError> =>
    Stream.suspend(() => {
      const hasher = createHash("sha256")
      let read = 0
      return Stream.unfoldEffect(0, (idx) =>
        Effect.try({
          try: (): Option.Option<readonly [Uint8Array, number]> => {
            if (idx < row.chunks) {
              const c = chunkOrCorrupt(row, idx)
              hasher.update(c)
              read += c.byteLength
              if (read > row.size) throw sizeMismatch(row)
              return Option.some([new Uint8Array(c.buffer, c.byteOffset, c.byteLength), idx + 1] as const)
            }
            if (read !== row.size) throw sizeMismatch(row)
            checkHash(row, hasher)
            return Option.none()
          },
          catch: (e) => (e instanceof CorruptArtifact ? e : fail(operation)(e))
        })
      )
    })

  // ---- reads of blob files ---------------------------------------------------
  const damaged = (row: ArtifactRow) => (e: unknown): unknown =>
    e instanceof BlobFileDamaged ? new CorruptArtifact({ hash: row.hash, detail: e.detail }) : e
  const asCacheError = (row: ArtifactRow, operation: string) => (e: unknown): CacheError => {
    const d = damaged(row)(e)
    return d instanceof CorruptArtifact ? d : fail(operation)(d)
  }

  /** A blob file's reader as a scoped resource (reads in flight finish before it closes). */
  const blobReader = (row: ArtifactRow, operation: string, into: ReadInto): Effect.Effect<BlobFileReader, CacheError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.try({ try: () => openBlobReader(blobs!, row.blob, row.size, { ...direct, into }), catch: asCacheError(row, operation) }),
      (r) => Effect.promise(() => r.close())
    )

  /**
   * Every piece of a blob file, hashed, handed to `f` (borrowed pieces when
   * `into` is "pool": valid until `f`'s effect completes), then the whole
   * checked against the name. Returns the reader's whole buffer, if any.
   */
  const scanFile = <E, R>(
    row: ArtifactRow,
    operation: string,
    into: ReadInto,
    f: (piece: Uint8Array) => Effect.Effect<void, E, R>
  ): Effect.Effect<Uint8Array | null, CacheError | E, R> =>
    Effect.scoped(
      Effect.gen(function* () {
        const reader = yield* blobReader(row, operation, into)
        const hasher = createHash("sha256")
        for (;;) {
          const piece = yield* Effect.tryPromise({ try: () => reader.next(), catch: asCacheError(row, operation) })
          if (piece === null) break
          hasher.update(piece)
          yield* f(piece)
        }
        yield* Effect.try({ try: () => checkHash(row, hasher), catch: asCacheError(row, operation) })
        return reader.whole
      })
    )

  /** The whole file, read straight into one fresh buffer (pieces in flight while the last is hashed). */
  const readAllFile = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    Effect.map(scanFile(row, "readArtifact", "whole", () => Effect.void), (whole) => whole!)

  /** Pieces the consumer owns: each read into its own fresh buffer. */
  const streamFile = (row: ArtifactRow): Stream.Stream<Uint8Array, CacheError> =>
    Stream.unwrapScoped(
      Effect.map(blobReader(row, "streamArtifact", "fresh"), (reader) => {
        const hasher = createHash("sha256")
        return Stream.repeatEffectOption(
          Effect.tryPromise({
            try: async (): Promise<Option.Option<Uint8Array>> => {
              const piece = await reader.next()
              if (piece === null) {
                checkHash(row, hasher)
                return Option.none()
              }
              hasher.update(piece)
              return Option.some(piece)
            },
            catch: (e) => Option.some(asCacheError(row, "streamArtifact")(e))
          }).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.fail(Option.none()), onSome: Effect.succeed })))
        )
      })
    )

  /** An artifact's bytes as borrowed pieces, read synchronously (verify, export); throws CorruptArtifact when parts are missing. */
  function* pieces(row: ArtifactRow): Generator<Uint8Array> {
    if (row.file === 1) {
      if (blobs === null) throw new CorruptArtifact({ hash: row.hash, detail: "its blob file is missing" })
      try {
        yield* readBlobFileSync(blobs, row.blob, row.size, direct)
      } catch (e) {
        throw damaged(row)(e)
      }
      return
    }
    for (let i = 0; i < row.chunks; i++) yield chunkOrCorrupt(row, i)
  }

  /** Re-hash one artifact; null when sound, else what is wrong. */
  const check = (row: ArtifactRow): { actual: string | null; detail: string } | null => {
    const hasher = createHash("sha256")
    let read = 0
    try {
      for (const c of pieces(row)) {
        hasher.update(c)
        read += c.byteLength
      }
    } catch (e) {
      if (e instanceof CorruptArtifact) return { actual: null, detail: e.detail }
      throw e
    }
    const actual = hasher.digest("hex")
    if (read !== row.size) return { actual, detail: `stored ${row.file === 1 ? "file" : "chunks"} hold ${read} bytes, expected ${row.size}` }
    if (actual !== row.hash) return { actual, detail: "content does not hash to its name" }
    return null
  }

  /**
   * Unpublish an artifact (one short transaction that turns its blob back
   * into a 'deleting' upload, unbinds its keys), then free its chunks.
   * `allowed`, when given, decides inside that transaction (on the row as it
   * is then) whether the eviction goes ahead. True when it was evicted.
   */
  const evict = (hash: string, dropProtection: boolean, allowed?: (row: ArtifactRow) => boolean): boolean => {
    if (batch.hasArtifact(hash)) batch.flush()
    const row = db.transaction(() => {
      const row = st.artifact.get(hash) as ArtifactRow | undefined
      if (row === undefined || (allowed !== undefined && !allowed(row))) return undefined
      db.prepare("DELETE FROM artifacts WHERE hash = ?").run(hash)
      db.prepare("DELETE FROM bindings WHERE output = ?").run(hash)
      if (dropProtection) {
        db.prepare("DELETE FROM pins WHERE hash = ?").run(hash)
        db.prepare("DELETE FROM pipeline_uses WHERE hash = ?").run(hash)
      }
      const t = now()
      db.prepare(
        "INSERT INTO uploads(id, state, pid, host, started_at, touched_at) VALUES (?, 'deleting', ?, ?, ?, ?)"
      ).run(row.blob, process.pid, host, t, t)
      return row
    }).immediate()
    if (row === undefined) return false
    freeBlob(row.blob)
    return true
  }

  const bindRunRow = (runId: number, key: string, output: string, endedAt: number): void => {
    st.bind.run(key, runId, output, endedAt)
  }

  const resolveTarget = (target: string): string | undefined => {
    if (hasArtifact(target)) return target
    const bound = st.bindingFor.get(target) as string | undefined
    return bound !== undefined && hasArtifact(bound) ? bound : undefined
  }

  /**
   * Whether a buffer put can skip writing: true when the hash is pending or
   * stored with sound bytes (claimed for this session), null when stored but
   * missing or damaged, false when not stored.
   */
  const storedSound = (hash: string): boolean | null => {
    if (batch.hasArtifact(hash)) return true
    const row = claimRow(hash)
    if (row === undefined) return false
    return check(row) === null ? true : null
  }

  const fileSize = (p: string): number => {
    try {
      return statSync(p).size
    } catch {
      return 0
    }
  }

  // Sweep what killed processes left behind (short transactions; skipped
  // quietly if another process holds the lock for long).
  try {
    sweepAbandoned()
  } catch {
    // gc sweeps again.
  }

  const internals: StoreInternals = {
    db,
    path,
    chunkSize,
    now,
    fail,
    hasArtifact,
    artifactRow,
    pieces,
    upload,
    bindRunRow
  }

  const service: CacheStoreService = {
    path,

    putArtifact: (kind, body) =>
      body instanceof Uint8Array
        ? Effect.flatMap(
            Effect.sync(() => createHash("sha256").update(body).digest("hex")),
            (hash) =>
              Effect.flatMap(sql("putArtifact", () => storedSound(hash)), (exists) => {
                if (exists) {
                  touch(hash)
                  return Effect.succeed(hash as ContentHash)
                }
                // Stored but damaged: a full upload replaces the copy (see replaceIfDamaged).
                if (exists === null) return upload(kind, [body], hash)
                if (body.byteLength <= smallPut)
                  return sql("putArtifact", () => {
                    batch.addArtifact(hash, kind, body)
                    return hash as ContentHash
                  })
                return upload(kind, [body], hash)
              })
          )
        : upload(kind, body),

    readArtifact: (hash) =>
      Effect.flatMap(requireArtifact(hash, "readArtifact"), (row) =>
        Effect.tap(readAll(row), () => Effect.sync(() => touch(hash)))
      ),

    streamArtifact: (hash) =>
      Stream.unwrap(
        Effect.map(requireArtifact(hash, "streamArtifact"), (row) => {
          touch(hash)
          return streamRow(row)
        })
      ),

    scanArtifact: (hash, f) =>
      Effect.flatMap(requireArtifact(hash, "scanArtifact"), (row) => {
        touch(hash)
        return row.file === 1
          ? Effect.asVoid(scanFile(row, "scanArtifact", "pool", f))
          : Stream.runForEach(streamRows(row, "scanArtifact"), f)
      }),

    hasArtifact: (hash) => sql("hasArtifact", () => hasArtifact(hash)),

    artifactInfo: (hash) =>
      Effect.map(
        sql("artifactInfo", () => listArtifacts({ hash })),
        (rows) => Option.fromNullable(rows[0])
      ),

    lookup: (key) =>
      sql("lookup", () => {
        if (batch.hasBinding(key)) batch.flush()
        const row = st.lookup.get(key) as RunRow | undefined
        if (row === undefined || claimRow(row.output as string) === undefined) return Option.none()
        touch(row.output as string)
        return Option.some(rowToRun(row))
      }),

    lookupMany: (keys) =>
      sql("lookup", () => {
        const hits = new Map<CacheKey, CacheHit>()
        if (keys.length === 0) return hits
        if (keys.some(batch.hasBinding)) batch.flush()
        ensureSession()
        const rows = st.lookupMany.all(JSON.stringify(keys)) as Array<CacheHit & { usedAt: number }>
        // Claim the hits not yet used in this session, in one transaction.
        const gone = new Set<string>()
        const unclaimed = memory ? [] : rows.filter((r) => r.usedAt < sessionStart)
        if (unclaimed.length > 0) {
          const t = Math.max(now(), sessionStart)
          try {
            db.transaction(() => {
              for (const r of unclaimed) if (st.claim.run(t, r.output).changes === 0) gone.add(r.output)
            }).immediate()
          } catch (e) {
            // Not writable now: the hits stand, unprotected (as a lookup did before sessions existed).
            noteFailure(e)
            gone.clear()
          }
        }
        for (const { usedAt: _, ...hit } of rows) {
          if (gone.has(hit.output)) continue
          touch(hit.output)
          hits.set(hit.key, hit)
        }
        return hits
      }),

    recordRun: (run) =>
      Effect.flatMap(
        sql("recordRun", () => {
          const binds = run.status === "ok" && run.output !== null
          if (binds && !hasArtifact(run.output as string)) return false
          const row: RunParams = {
            uid: randomUUID(),
            key: run.key,
            pipeline: run.pipeline,
            stage: run.stage,
            stage_kind: run.stageKind,
            preimage: JSON.stringify(run.preimage ?? null),
            params: JSON.stringify(run.params ?? null),
            inputs: JSON.stringify(run.inputs),
            output: run.output,
            output_kind: run.outputKind,
            status: run.status,
            started_at: run.startedAt,
            ended_at: run.endedAt,
            metrics: run.metrics === null ? null : JSON.stringify(run.metrics),
            log_tail: run.logTail,
            error: run.error
          }
          batch.addRun(row)
          return true
        }),
        (ok) => (ok ? Effect.void : Effect.fail(new MissingArtifact({ hash: run.output as string })))
      ),

    flush: () =>
      Effect.try({
        try: () => batch.flush(),
        catch: (cause) => {
          noteFailure(cause)
          return new RunsNotRecorded({ path, keys: batch.pendingRunKeys() as ReadonlyArray<CacheKey>, cause })
        }
      }),

    lastRun: (pipeline, stage) =>
      sql("lastRun", () => {
        batch.flush()
        return Option.map(Option.fromNullable(st.lastRun.get(pipeline, stage) as RunRow | undefined), rowToRun)
      }),

    lastRuns: (pipeline, stages) =>
      sql("lastRun", () => {
        const last = new Map<string, RunRecord>()
        if (stages.length === 0) return last
        batch.flush()
        for (const row of st.lastRuns.all(JSON.stringify(stages), pipeline) as RunRow[]) last.set(row.stage, rowToRun(row))
        return last
      }),

    runs: (filter: RunFilter = {}) =>
      sql("runs", () => {
        batch.flush()
        const where: string[] = []
        const args: unknown[] = []
        const eq = (col: string, v: unknown) => {
          if (v !== undefined) {
            where.push(`${col} = ?`)
            args.push(v)
          }
        }
        eq("pipeline", filter.pipeline)
        eq("stage", filter.stage)
        eq("stage_kind", filter.stageKind)
        eq("key", filter.key)
        eq("status", filter.status)
        if (filter.since !== undefined) {
          where.push("started_at >= ?")
          args.push(filter.since)
        }
        const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : ""
        const q = `SELECT * FROM runs ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id DESC${limit}`
        return (db.prepare(q).all(...args) as RunRow[]).map(rowToRun)
      }),

    markPipelineUse: (pipeline, outputs) =>
      sql("markPipelineUse", () => {
        batch.flush()
        const next = new Set<string>(outputs)
        db.transaction(() => {
          // A re-run usually uses the same set: rewrite it only when it changed.
          const current = st.pipelineUses.all(pipeline) as Array<string>
          if (current.length !== next.size || current.some((h) => !next.has(h))) {
            db.prepare("DELETE FROM pipeline_uses WHERE pipeline = ?").run(pipeline)
            db.prepare("INSERT OR IGNORE INTO pipeline_uses(pipeline, hash) SELECT ?, value FROM json_each(?)").run(pipeline, JSON.stringify([...next]))
          }
          db.prepare(
            "INSERT INTO pipelines(pipeline, used_at) VALUES (?, ?) ON CONFLICT(pipeline) DO UPDATE SET used_at = excluded.used_at"
          ).run(pipeline, now())
        }).immediate()
      }),

    ls: (options: LsOptions = {}) => sql("ls", () => listArtifacts(options)),

    stats: () =>
      sql("stats", () => {
        batch.flush()
        const one = (q: string): number => (db.prepare(q).pluck().get() as number | null) ?? 0
        const byKind = { value: { count: 0, bytes: 0 }, tensors: { count: 0, bytes: 0 }, checkpoint: { count: 0, bytes: 0 }, table: { count: 0, bytes: 0 } }
        for (const r of db.prepare("SELECT kind, count(*) AS n, coalesce(sum(size), 0) AS b FROM artifacts GROUP BY kind").all() as Array<{ kind: ArtifactKind; n: number; b: number }>)
          byKind[r.kind] = { count: r.n, bytes: r.b }
        const runsByStatus = { ok: 0, failed: 0, interrupted: 0 }
        for (const r of db.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status").all() as Array<{ status: RunRecord["status"]; n: number }>)
          runsByStatus[r.status] = r.n
        const stats: CacheStats = {
          path,
          artifacts: one("SELECT count(*) FROM artifacts"),
          bytes: one("SELECT sum(size) FROM artifacts"),
          byKind,
          keys: one("SELECT count(*) FROM bindings"),
          runs: one("SELECT count(*) FROM runs"),
          runsByStatus,
          pinned: one("SELECT count(*) FROM pins WHERE hash IN (SELECT hash FROM artifacts)"),
          protected: one("SELECT count(DISTINCT hash) FROM pipeline_uses WHERE hash IN (SELECT hash FROM artifacts)"),
          pipelines: one("SELECT count(*) FROM pipelines"),
          incompleteUploads: one("SELECT count(*) FROM uploads"),
          fileBytes: memory ? 0 : fileSize(path),
          walBytes: memory ? 0 : fileSize(path + "-wal"),
          blobFileBytes: blobs === null ? 0 : listBlobFiles(blobs).reduce((sum, id) => sum + (blobFileSize(blobs, id) ?? 0), 0)
        }
        return stats
      }),

    verify: (options: VerifyOptions = {}) =>
      Effect.gen(function* () {
        yield* sql("verify", batch.flush)
        const hashes: string[] = options.hashes
          ? [...options.hashes]
          : yield* sql("verify", () => db.prepare("SELECT hash FROM artifacts ORDER BY hash").pluck().all() as string[])
        const corrupt: Array<VerifyReport["corrupt"][number]> = []
        let bytes = 0
        let checked = 0
        let evicted = 0
        for (const hash of hashes) {
          // One artifact per step, so a long verify can be interrupted.
          const problem = yield* sql("verify", () => {
            const row = artifactRow(hash)
            if (row === undefined) {
              // Listed a moment ago, gone now: evicted by another process, not damaged.
              if (options.hashes === undefined) return "evicted"
              return { actual: null, detail: "not in the store" }
            }
            const problem = check(row)
            // Parts missing because another process evicted it while we read: not damage either.
            if (problem !== null && (st.artifact.get(hash) as ArtifactRow | undefined)?.blob !== row.blob) return "evicted"
            bytes += row.size
            return problem
          })
          if (problem === "evicted") {
            evicted++
            continue
          }
          checked++
          if (problem !== null) corrupt.push({ hash: hash as ContentHash, ...problem })
        }
        let removed = 0
        if (options.remove)
          for (const c of corrupt)
            if (hasArtifact(c.hash)) {
              yield* sql("verify", () => evict(c.hash, false))
              removed++
            }
        const sqlite = yield* sql("verify", () =>
          (db.pragma("quick_check") as Array<{ quick_check: string }>).map((r) => r.quick_check).join("; ")
        )
        return { checked, bytes, corrupt, removed, evicted, sqlite } satisfies VerifyReport
      }),

    gc: (options: GcOptions = {}) =>
      sql("gc", () => {
        batch.flush()
        const abandonedUploads = options.dryRun ? 0 : sweepAbandoned() + sweepOrphanFiles()
        const rows = db
          .prepare(
            `SELECT a.hash, a.size, a.last_used_at AS lastUsedAt,
               (EXISTS(SELECT 1 FROM pins p WHERE p.hash = a.hash)
                OR EXISTS(SELECT 1 FROM pipeline_uses u WHERE u.hash = a.hash)) AS prot
             FROM artifacts a ORDER BY a.last_used_at ASC, a.created_at ASC, a.hash ASC`
          )
          .all() as Array<{ hash: string; size: number; lastUsedAt: number; prot: number }>
        let total = rows.reduce((s, r) => s + r.size, 0)
        const evicted: Array<GcReport["evicted"][number]> = []
        let inUse = 0
        const candidates = rows.filter((r) => options.includeProtected || r.prot === 0)
        const chosen = new Set<string>()
        const dryCutoff = options.dryRun ? liveCutoff() : 0
        const isProtected = db.prepare(
          "SELECT EXISTS(SELECT 1 FROM pins WHERE hash = ?) OR EXISTS(SELECT 1 FROM pipeline_uses WHERE hash = ?)"
        ).pluck()
        /** Evict one candidate unless another live process may be using it (decided in the evicting transaction). */
        const take = (r: (typeof rows)[number]): void => {
          chosen.add(r.hash)
          let gone: boolean
          if (options.dryRun) gone = r.lastUsedAt < dryCutoff
          else {
            let used = false
            gone = evict(r.hash, options.includeProtected === true, (row) => {
              if (!options.includeProtected && isProtected.get(r.hash, r.hash) === 1) return false
              used = row.last_used_at >= liveCutoff()
              return !used
            })
            if (!gone && !used) {
              // Evicted by another process meanwhile, or newly protected: not ours to count.
              if (!hasArtifact(r.hash)) total -= r.size
              return
            }
          }
          if (!gone) {
            inUse++
            return
          }
          evicted.push({ hash: r.hash as ContentHash, size: r.size, lastUsedAt: r.lastUsedAt })
          total -= r.size
        }
        if (options.olderThanMs !== undefined) {
          const cutoff = now() - options.olderThanMs
          for (const r of candidates) if (r.lastUsedAt < cutoff) take(r)
        }
        if (options.maxBytes !== undefined)
          for (const r of candidates) {
            if (total <= options.maxBytes) break
            if (!chosen.has(r.hash)) take(r)
          }
        if (!options.dryRun && !memory) {
          if (evicted.length > 0) db.pragma("incremental_vacuum")
          checkpointTruncate()
        }
        const report: GcReport = {
          evicted,
          freedBytes: evicted.reduce((s, e) => s + e.size, 0),
          remainingBytes: total,
          abandonedUploads,
          inUse,
          dryRun: options.dryRun === true
        }
        return report
      }),

    pin: (target) =>
      Effect.flatMap(sql("pin", () => (batch.flush(), resolveTarget(target))), (hash): Effect.Effect<ContentHash, CacheError> =>
        hash === undefined
          ? Effect.fail(new UnknownTarget({ target }))
          : sql("pin", () => {
              db.prepare("INSERT OR IGNORE INTO pins(hash, pinned_at) VALUES (?, ?)").run(hash, now())
              return hash as ContentHash
            })
      ),

    unpin: (target) =>
      Effect.flatMap(
        sql("unpin", () => {
          batch.flush()
          const pinned = db.prepare("SELECT 1 FROM pins WHERE hash = ?").pluck().get(target) !== undefined
          return pinned ? target : resolveTarget(target)
        }),
        (hash): Effect.Effect<ContentHash, CacheError> =>
          hash === undefined
            ? Effect.fail(new UnknownTarget({ target }))
            : sql("unpin", () => {
                db.prepare("DELETE FROM pins WHERE hash = ?").run(hash)
                return hash as ContentHash
              })
      ),

    exportTo: (file, filter) => Effect.zipRight(sql("exportTo", batch.flush), exportStore(internals, file, filter)),
    importFrom: (file) => Effect.zipRight(sql("importFrom", batch.flush), importStore(internals, file))
  }

  function listArtifacts(options: LsOptions & { hash?: string }): ArtifactInfo[] {
    batch.flush()
    const where: string[] = []
    const args: unknown[] = []
    if (options.hash !== undefined) {
      where.push("a.hash = ?")
      args.push(options.hash)
    }
    if (options.kind !== undefined) {
      where.push("a.kind = ?")
      args.push(options.kind)
    }
    const order =
      options.sort === "size" ? "a.size DESC" : options.sort === "created" ? "a.created_at DESC" : "a.last_used_at ASC"
    const limit = options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(options.limit))}` : ""
    const rows = db
      .prepare(
        `SELECT a.*, EXISTS(SELECT 1 FROM pins p WHERE p.hash = a.hash) AS pinned,
           EXISTS(SELECT 1 FROM pipeline_uses u WHERE u.hash = a.hash) AS prot,
           (SELECT count(*) FROM bindings b WHERE b.output = a.hash) AS nkeys
         FROM artifacts a ${where.length ? "WHERE " + where.join(" AND ") : ""}
         ORDER BY ${order}, a.hash${limit}`
      )
      .all(...args) as Array<ArtifactRow & { pinned: number; prot: number; nkeys: number }>
    return rows.map((r) => ({
      hash: r.hash as ContentHash,
      kind: r.kind,
      size: r.size,
      chunks: r.chunks,
      createdAt: r.created_at,
      lastUsedAt: r.last_used_at,
      pinned: r.pinned === 1,
      protected: r.prot === 1,
      keys: r.nkeys
    }))
  }

  return {
    service,
    close: async () => {
      if (!db.open) return
      batch.dispose()
      try {
        batch.flush()
      } catch {
        // Lost writes are stages that re-run (a run learns of it from flush()); nothing partial was written.
      }
      try {
        if (session !== 0) st.dropSession.run(session)
      } catch {
        // A dead session's row is dropped by the next gc.
      }
      try {
        if (!memory) {
          // After a full disk, hand the WAL's space back (it does not shrink by itself).
          if (diskFull) checkpointTruncate()
          else db.pragma("wal_checkpoint(PASSIVE)")
        }
      } catch {
        // Another process may hold the database; the WAL stays valid.
      }
      db.close()
    }
  }
}
