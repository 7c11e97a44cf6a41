/**
 * The SQLite implementation of `CacheStore` (the in-memory test layer is the
 * same code on a ":memory:" database, so both behave identically).
 *
 * A store is built in parts over one shared context (context.ts): opening
 * and migration (open.ts), sessions (sessions.ts), reads (reads.ts),
 * uploads (uploads.ts), run records (runs.ts), maintenance
 * (maintenance.ts) and export/import (transfer.ts). This module puts them
 * together into the service and closes the store.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { StoreOpenFailed } from "../CacheError.js"
import type { CacheStoreService } from "../CacheStore.js"
import { makeContext, type CacheStoreOptions } from "./context.js"
import { makeMaintenance } from "./maintenance.js"
import { makeReads } from "./reads.js"
import { makeRuns } from "./runs.js"
import { makeSessions } from "./sessions.js"
import { exportStore, importStore, type StoreInternals } from "./transfer.js"
import { makeUploads } from "./uploads.js"

export type { CacheStoreOptions } from "./context.js"

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
  const ctx = makeContext(path, options)
  const { db, batch, sql, memory } = ctx
  const sessions = makeSessions(ctx)
  const reads = makeReads(ctx, sessions)
  const uploads = makeUploads(ctx, sessions, reads)
  const runs = makeRuns(ctx, sessions)
  const maintenance = makeMaintenance(ctx, sessions, reads, uploads)

  // Sweep what killed processes left behind (short transactions; skipped
  // quietly if another process holds the lock for long).
  try {
    maintenance.sweepAbandoned()
  } catch {
    // gc sweeps again.
  }

  const internals: StoreInternals = {
    db,
    path,
    chunkSize: ctx.chunkSize,
    now: ctx.now,
    fail: ctx.fail,
    hasArtifact: ctx.hasArtifact,
    artifactRow: ctx.artifactRow,
    pieces: reads.pieces,
    upload: uploads.upload,
    bindRunRow: runs.bindRunRow
  }

  const service: CacheStoreService = {
    path,
    putArtifact: uploads.putArtifact,
    readArtifact: reads.readArtifact,
    streamArtifact: reads.streamArtifact,
    scanArtifact: reads.scanArtifact,
    hasArtifact: reads.hasArtifact,
    artifactInfo: maintenance.artifactInfo,
    lookup: runs.lookup,
    lookupMany: runs.lookupMany,
    recordRun: runs.recordRun,
    flush: runs.flush,
    lastRun: runs.lastRun,
    lastRuns: runs.lastRuns,
    runs: runs.runs,
    markPipelineUse: runs.markPipelineUse,
    ls: maintenance.ls,
    stats: maintenance.stats,
    verify: maintenance.verify,
    gc: maintenance.gc,
    pin: maintenance.pin,
    unpin: maintenance.unpin,
    exportTo: (file, filter) => Effect.zipRight(sql("exportTo", batch.flush), exportStore(internals, file, filter)),
    importFrom: (file) => Effect.zipRight(sql("importFrom", batch.flush), importStore(internals, file))
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
        sessions.end()
      } catch {
        // A dead session's row is dropped by the next gc.
      }
      try {
        if (!memory) {
          // After a full disk, hand the WAL's space back (it does not shrink by itself).
          if (ctx.diskFull()) ctx.checkpointTruncate()
          else db.pragma("wal_checkpoint(PASSIVE)")
        }
      } catch {
        // Another process may hold the database; the WAL stays valid.
      }
      db.close()
    }
  }
}
