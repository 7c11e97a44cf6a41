/**
 * `cache export FILE` / `cache import FILE`: artifacts and their run records
 * moved between machines as one self-contained SQLite file.
 *
 * Export re-hashes every artifact it copies (a corrupt artifact is not
 * spread), writes to `FILE.partial` and renames it at the end, so a killed
 * export never leaves a file that looks complete. Import streams each
 * artifact through the normal upload path with its declared hash as the
 * expected one (a mismatch fails and stores nothing of that artifact),
 * skips what is already present, and inserts runs by their unique id, so
 * importing twice changes nothing.
 *
 * @internal
 */
import Database from "better-sqlite3"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs"
import { dirname } from "node:path"
import { Effect } from "effect"
import { CorruptArtifact, ExportFailed, ImportFailed, type CacheError, type StoreFailed } from "../CacheError.js"
import type { ArtifactKind, ContentHash, ExportFilter, TransferReport } from "../CacheStore.js"
import { EXPORT_DDL, EXPORT_FORMAT, EXPORT_VERSION, PAGE_SIZE } from "./schema.js"
import type { ArtifactRow, RunParams, RunRow } from "./rows.js"

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

const RUN_COLUMNS = [
  "uid", "key", "pipeline", "stage", "stage_kind", "preimage", "params", "inputs", "output",
  "output_kind", "status", "started_at", "ended_at", "metrics", "log_tail", "error"
] as const

/** Which runs and artifacts an export holds. */
const select = (s: StoreInternals, filter: ExportFilter | undefined): { runs: RunRow[]; hashes: string[] } => {
  const { db } = s
  const allRuns = (): RunRow[] => db.prepare("SELECT * FROM runs ORDER BY id").all() as RunRow[]
  if (filter === undefined || (filter.pipelines === undefined && filter.hashes === undefined)) {
    const hashes = db.prepare("SELECT hash FROM artifacts ORDER BY hash").pluck().all() as string[]
    return { runs: allRuns(), hashes }
  }
  const runs = new Map<number, RunRow>()
  const hashes = new Set<string>()
  for (const p of filter.pipelines ?? []) {
    for (const r of db.prepare("SELECT * FROM runs WHERE pipeline = ? ORDER BY id").all(p) as RunRow[]) {
      runs.set(r.id, r)
      if (r.output !== null) hashes.add(r.output)
      for (const h of Object.values(JSON.parse(r.inputs) as Record<string, string>)) hashes.add(h)
    }
    for (const h of db.prepare("SELECT hash FROM pipeline_uses WHERE pipeline = ?").pluck().all(p) as string[])
      hashes.add(h)
  }
  for (const h of filter.hashes ?? []) {
    hashes.add(h)
    for (const r of db.prepare("SELECT * FROM runs WHERE output = ? ORDER BY id").all(h) as RunRow[]) runs.set(r.id, r)
  }
  return {
    runs: [...runs.values()].sort((a, b) => a.id - b.id),
    hashes: [...hashes].filter((h) => s.hasArtifact(h)).sort()
  }
}

export const exportStore = (
  s: StoreInternals,
  file: string,
  filter?: ExportFilter
): Effect.Effect<TransferReport, CacheError> =>
  Effect.suspend(() => {
    const partial = `${file}.partial`
    const failed = (reason: string) => (cause: unknown) =>
      cause instanceof CorruptArtifact
        ? new ExportFailed({ file, reason: `artifact ${cause.hash} is corrupt (run \`clipcl cache verify\`)`, cause })
        : new ExportFailed({ file, reason, cause })
    return Effect.acquireUseRelease(
      Effect.try({
        try: () => {
          mkdirSync(dirname(file), { recursive: true })
          rmSync(partial, { force: true })
          const out = new Database(partial)
          out.pragma(`page_size = ${PAGE_SIZE}`)
          // A private file: no journal needed, the rename publishes it.
          out.pragma("journal_mode = OFF")
          out.pragma("synchronous = OFF")
          out.exec(EXPORT_DDL)
          const meta = out.prepare("INSERT INTO meta(k, v) VALUES (?, ?)")
          meta.run("format", EXPORT_FORMAT)
          meta.run("version", String(EXPORT_VERSION))
          meta.run("created_at", String(s.now()))
          return out
        },
        catch: failed("cannot create the file")
      }),
      (out) =>
        Effect.gen(function* () {
          const { runs, hashes } = yield* Effect.try({ try: () => select(s, filter), catch: s.fail("exportTo") })
          let bytes = 0
          const insArtifact = out.prepare("INSERT INTO artifacts(hash, kind, size, chunks, created_at) VALUES (?, ?, ?, ?, ?)")
          const insChunk = out.prepare("INSERT INTO chunks(hash, idx, data) VALUES (?, ?, ?)")
          for (const hash of hashes) {
            // One artifact per step: long exports stay interruptible.
            yield* Effect.try({
              try: () => {
                const row = s.artifactRow(hash) as ArtifactRow | undefined
                if (row === undefined) return // evicted meanwhile
                const hasher = createHash("sha256")
                out.transaction(() => {
                  let size = 0
                  let i = 0
                  for (const c of s.pieces(row)) {
                    hasher.update(c)
                    size += c.byteLength
                    insChunk.run(hash, i++, c)
                  }
                  const actual = hasher.digest("hex")
                  if (actual !== hash || size !== row.size)
                    throw new CorruptArtifact({ hash, actual, detail: "content does not hash to its name" })
                  insArtifact.run(hash, row.kind, row.size, i, row.created_at)
                })()
                bytes += row.size
              },
              catch: failed("copying artifacts")
            })
          }
          yield* Effect.try({
            try: () => {
              const ins = out.prepare(
                `INSERT INTO runs(${RUN_COLUMNS.join(", ")}) VALUES (${RUN_COLUMNS.map((c) => "@" + c).join(", ")})`
              )
              out.transaction(() => {
                for (const r of runs) {
                  const { id: _id, ...rest } = r
                  ins.run(rest)
                }
              })()
            },
            catch: failed("copying run records")
          })
          yield* Effect.try({
            try: () => {
              out.close()
              renameSync(partial, file)
            },
            catch: failed("cannot finish the file")
          })
          const report: TransferReport = {
            file,
            artifacts: hashes.length,
            bytes,
            runs: runs.length,
            skippedArtifacts: 0,
            skippedRuns: 0
          }
          return report
        }),
      (out, exit) =>
        Effect.sync(() => {
          if (out.open) out.close()
          if (exit._tag === "Failure") rmSync(partial, { force: true })
        })
    )
  })

export const importStore = (s: StoreInternals, file: string): Effect.Effect<TransferReport, CacheError> =>
  Effect.suspend(() => {
    const failed = (reason: string, hash?: string) => (cause: unknown) =>
      new ImportFailed({ file, reason, cause, ...(hash !== undefined ? { hash } : {}) })
    return Effect.acquireUseRelease(
      Effect.try({
        try: () => {
          if (!existsSync(file)) throw new Error("no such file")
          const src = new Database(file, { readonly: true, fileMustExist: true })
          try {
            const meta = new Map(
              (src.prepare("SELECT k, v FROM meta").all() as Array<{ k: string; v: string }>).map((r) => [r.k, r.v])
            )
            if (meta.get("format") !== EXPORT_FORMAT) throw new Error("not a clipcl cache export")
            if (meta.get("version") !== String(EXPORT_VERSION))
              throw new Error(`export version ${meta.get("version")}, this clipcl reads ${EXPORT_VERSION}`)
          } catch (e) {
            src.close()
            throw e
          }
          return src
        },
        catch: (cause) =>
          new ImportFailed({ file, reason: cause instanceof Error ? cause.message : "unreadable", cause })
      }),
      (src) =>
        Effect.gen(function* () {
          const artifacts = yield* Effect.try({
            try: () =>
              src.prepare("SELECT hash, kind, size, chunks FROM artifacts ORDER BY hash").all() as Array<{
                hash: string
                kind: ArtifactKind
                size: number
                chunks: number
              }>,
            catch: failed("cannot list artifacts")
          })
          const chunk = src.prepare("SELECT data FROM chunks WHERE hash = ? AND idx = ?").pluck()
          let imported = 0
          let skipped = 0
          let bytes = 0
          for (const a of artifacts) {
            if (s.hasArtifact(a.hash)) {
              skipped++
              continue
            }
            function* pieces(): Generator<Uint8Array> {
              for (let i = 0; i < a.chunks; i++) {
                const c = chunk.get(a.hash, i) as Buffer | undefined
                if (c === undefined) throw new Error(`chunk ${i} is missing`)
                yield c
              }
            }
            yield* s.upload(a.kind, pieces(), a.hash).pipe(
              Effect.mapError((e) =>
                e instanceof CorruptArtifact
                  ? new ImportFailed({ file, reason: "an artifact does not match its hash", hash: a.hash })
                  : new ImportFailed({ file, reason: "cannot store an artifact", hash: a.hash, cause: e })
              )
            )
            imported++
            bytes += a.size
          }
          const [runs, skippedRuns] = yield* Effect.try({
            try: () => {
              const rows = src.prepare(`SELECT ${RUN_COLUMNS.join(", ")} FROM runs`).all() as Array<RunParams>
              const ins = s.db.prepare(
                `INSERT INTO runs(${RUN_COLUMNS.join(", ")}) VALUES (${RUN_COLUMNS.map((c) => "@" + c).join(", ")})
                 ON CONFLICT(uid) DO NOTHING`
              )
              let n = 0
              s.db.transaction(() => {
                for (const r of rows) {
                  const res = ins.run(r)
                  if (res.changes === 0) continue
                  n++
                  if (r.status === "ok" && r.output !== null && s.hasArtifact(r.output))
                    s.bindRunRow(Number(res.lastInsertRowid), r.key, r.output, r.ended_at)
                }
              }).immediate()
              return [n, rows.length - n] as const
            },
            catch: failed("cannot store run records")
          })
          const report: TransferReport = {
            file,
            artifacts: imported,
            bytes,
            runs,
            skippedArtifacts: skipped,
            skippedRuns
          }
          return report
        }),
      (src) => Effect.sync(() => src.close())
    )
  })
