/**
 * Group commit of the store's small writes: small artifacts (one chunk),
 * run records with their key bindings, and LRU touches are held in memory
 * and written together in one short transaction.
 *
 * Why: each SQLite commit appends every page it changed to the WAL, and the
 * store uses 64 KiB pages (for large-artifact throughput), so one trivial
 * stage (a put and a run record, a dozen pages across tables and indexes)
 * cost ~1 MB of WAL and 1-2 ms; a 10,000-stage sweep spent most of its time
 * there. One commit for a batch of stages writes each hot page once.
 *
 * Crash safety is unchanged: a batch is one transaction, inside which an
 * artifact's chunk and its `artifacts` row appear together and a run's key
 * binding is written only when its output artifact exists. A process killed
 * before a flush loses only the batch (at most `maxOps` writes or
 * `delayMs` of work): those stages simply re-run; nothing partial or
 * dangling is ever visible. Readers in this process see pending writes
 * (`hasArtifact`, `hasBinding`) or flush first; other processes see them
 * after the flush.
 *
 * Flushes happen when the batch reaches `maxOps` writes or `maxBytes`, after
 * `delayMs`, before any read that needs pending data, and on close.
 *
 * @internal
 */
import type Database from "better-sqlite3"
import type { ArtifactKind } from "../CacheStore.js"
import { BIND_SQL, INSERT_RUN_SQL, type RunParams } from "./rows.js"

export interface GroupCommitOptions {
  /** Pending writes (artifacts + runs) that force a flush (default 512). */
  readonly maxOps?: number
  /** Pending artifact bytes that force a flush (default 8 MiB). */
  readonly maxBytes?: number
  /** Longest time a write stays pending (default 20 ms). */
  readonly delayMs?: number
}

export interface GroupCommit {
  /** Queue a small artifact (a copy of `bytes` is kept); may flush a full batch first (and throw). */
  readonly addArtifact: (hash: string, kind: ArtifactKind, bytes: Uint8Array) => void
  /** Queue a run record (an ok run with an output also binds its key); may flush a full batch first. */
  readonly addRun: (row: RunParams) => void
  /** Queue an LRU touch. */
  readonly touch: (hash: string) => void
  readonly hasArtifact: (hash: string) => boolean
  readonly hasBinding: (key: string) => boolean
  readonly pendingWrites: () => number
  /** Cache keys of the run records waiting to be written. */
  readonly pendingRunKeys: () => ReadonlyArray<string>
  /** Write everything pending in one transaction (throws on failure; the batch is kept for a retry). */
  readonly flush: () => void
  /** Stop the timer (the owner flushes before closing). */
  readonly dispose: () => void
}

interface PendingArtifact {
  readonly kind: ArtifactKind
  readonly bytes: Uint8Array
}

export const makeGroupCommit = (
  db: Database.Database,
  env: {
    readonly now: () => number
    readonly host: string
    /** Told of every failed flush (the batch is kept; a timed flush retries). */
    readonly onError?: (e: unknown) => void
  },
  options: GroupCommitOptions = {}
): GroupCommit => {
  const maxOps = options.maxOps ?? 512
  const maxBytes = options.maxBytes ?? 8 * 1024 * 1024
  const delayMs = options.delayMs ?? 20
  const st = {
    has: db.prepare("SELECT 1 FROM artifacts WHERE hash = ?").pluck(),
    newBlob: db.prepare("INSERT INTO uploads(state, pid, host, started_at, touched_at) VALUES ('writing', ?, ?, ?, ?)"),
    dropBlob: db.prepare("DELETE FROM uploads WHERE id = ?"),
    chunk: db.prepare("INSERT INTO chunks(blob, idx, data) VALUES (?, 0, ?)"),
    publish: db.prepare(
      `INSERT INTO artifacts(hash, blob, kind, size, chunks, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO NOTHING`
    ),
    run: db.prepare(INSERT_RUN_SQL),
    bind: db.prepare(BIND_SQL),
    // All touches of a batch in one statement (they are at most `delayMs` apart).
    touch: db.prepare(
      "UPDATE artifacts SET last_used_at = max(last_used_at, ?) WHERE hash IN (SELECT value FROM json_each(?))"
    )
  }

  let artifacts = new Map<string, PendingArtifact>()
  let runs: Array<RunParams> = []
  let bindings = new Set<string>()
  let touches = new Set<string>()
  let touchedAt = 0
  let bytes = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  const write = (): void => {
    const t = env.now()
    for (const [hash, a] of artifacts) {
      if (st.has.get(hash) !== undefined) continue
      // The blob id comes from the uploads sequence, like a streamed upload's,
      // so it never collides with another process's upload in progress.
      const blob = Number(st.newBlob.run(process.pid, env.host, t, t).lastInsertRowid)
      if (a.bytes.byteLength > 0) st.chunk.run(blob, a.bytes)
      st.publish.run(hash, blob, a.kind, a.bytes.byteLength, a.bytes.byteLength > 0 ? 1 : 0, t, t)
      st.dropBlob.run(blob)
    }
    for (const r of runs) {
      const id = Number(st.run.run(r).lastInsertRowid)
      // Bind only to an artifact that exists (another process may have evicted it meanwhile).
      if (r.status === "ok" && r.output !== null && st.has.get(r.output) !== undefined) st.bind.run(r.key, id, r.output, r.ended_at)
    }
    if (touches.size > 0) st.touch.run(touchedAt, JSON.stringify([...touches]))
  }

  const flush = (): void => {
    if (timer !== null) {
      clearTimeout(timer)
      timer = null
    }
    if (artifacts.size === 0 && runs.length === 0 && touches.size === 0) return
    if (!db.open) return
    try {
      db.transaction(write).immediate()
    } catch (e) {
      env.onError?.(e)
      throw e
    }
    artifacts = new Map()
    runs = []
    bindings = new Set()
    touches = new Set()
    bytes = 0
  }

  /** A timed flush that fails keeps its batch for the next trigger (LRU touches are advisory). */
  const timed = (): void => {
    timer = null
    try {
      flush()
    } catch {
      if (artifacts.size > 0 || runs.length > 0) schedule()
      else touches = new Set()
    }
  }
  const schedule = (): void => {
    if (timer === null) {
      timer = setTimeout(timed, delayMs)
      timer.unref()
    }
  }
  /**
   * Before queueing a write: a full batch is flushed first, so a failing
   * flush fails this write (not queued) and never grows the batch further.
   */
  const room = (): void => {
    if (artifacts.size + runs.length >= maxOps || bytes >= maxBytes) flush()
  }

  return {
    addArtifact: (hash, kind, data) => {
      if (artifacts.has(hash)) return
      room()
      artifacts.set(hash, { kind, bytes: Uint8Array.prototype.slice.call(data) })
      bytes += data.byteLength
      schedule()
    },
    addRun: (row) => {
      room()
      runs.push(row)
      if (row.status === "ok" && row.output !== null) bindings.add(row.key)
      schedule()
    },
    touch: (hash) => {
      touches.add(hash)
      touchedAt = env.now()
      schedule()
    },
    hasArtifact: (hash) => artifacts.has(hash),
    hasBinding: (key) => bindings.has(key),
    pendingWrites: () => artifacts.size + runs.length,
    pendingRunKeys: () => runs.map((r) => r.key),
    flush,
    dispose: () => {
      if (timer !== null) clearTimeout(timer)
      timer = null
    }
  }
}
