/**
 * Maintenance and inspection of a store: listing and stats, verify (re-hash
 * every artifact), gc (evict by age or size, never what a live session or a
 * pin protects), pins, and the sweep of what killed processes left behind.
 *
 * @internal
 */
import { statSync } from "node:fs"
import { Effect, Option } from "effect"
import { UnknownTarget, type CacheError } from "../CacheError.js"
import type {
  ArtifactInfo,
  ArtifactKind,
  CacheStats,
  CacheStoreService,
  ContentHash,
  GcOptions,
  GcReport,
  LsOptions,
  RunRecord,
  VerifyOptions,
  VerifyReport
} from "../CacheStore.js"
import { blobFileSize, listBlobFiles, removeBlobFile } from "./blobFiles.js"
import type { StoreContext } from "./context.js"
import type { Reads } from "./reads.js"
import type { ArtifactRow } from "./rows.js"
import { isProcessAlive, type Sessions } from "./sessions.js"
import type { Uploads } from "./uploads.js"

/** The maintenance side of a store. */
export interface Maintenance
  extends Pick<CacheStoreService, "artifactInfo" | "ls" | "stats" | "verify" | "gc" | "pin" | "unpin"> {
  /** Sweep uploads left by dead (or long-silent) processes; how many. */
  readonly sweepAbandoned: () => number
}

const fileSize = (p: string): number => {
  try {
    return statSync(p).size
  } catch {
    return 0
  }
}

export const makeMaintenance = (ctx: StoreContext, sessions: Sessions, reads: Reads, uploads: Uploads): Maintenance => {
  const { db, path, st, batch, sql, memory, blobs, host, now, staleUploadMs, hasArtifact, artifactRow, checkpointTruncate } = ctx
  const { liveCutoff } = sessions
  const { check } = reads
  const { freeBlob } = uploads

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

  const resolveTarget = (target: string): string | undefined => {
    if (hasArtifact(target)) return target
    const bound = st.bindingFor.get(target) as string | undefined
    return bound !== undefined && hasArtifact(bound) ? bound : undefined
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
    artifactInfo: (hash) =>
      Effect.map(
        sql("artifactInfo", () => listArtifacts({ hash })),
        (rows) => Option.fromNullable(rows[0])
      ),

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
    sweepAbandoned
  }
}
