/**
 * Run records: each stage run is recorded (through the group commit) with
 * what it read and made; an ok run binds its cache key to its output, and a
 * lookup of a key claims the output for this session. Also which artifacts
 * each pipeline last used (what gc protects).
 *
 * @internal
 */
import { randomUUID } from "node:crypto"
import { Effect, Option } from "effect"
import { MissingArtifact, RunsNotRecorded } from "../CacheError.js"
import type { CacheHit, CacheKey, CacheStoreService, RunFilter, RunRecord } from "../CacheStore.js"
import type { StoreContext } from "./context.js"
import { rowToRun, type RunParams, type RunRow } from "./rows.js"
import type { Sessions } from "./sessions.js"

/** The run records of a store. */
export interface Runs
  extends Pick<
    CacheStoreService,
    "lookup" | "lookupMany" | "recordRun" | "flush" | "lastRun" | "lastRuns" | "runs" | "markPipelineUse"
  > {
  /** Bind `key` to a run's output (kept when it ended no earlier than the bound one). */
  readonly bindRunRow: (runId: number, key: string, output: string, endedAt: number) => void
}

export const makeRuns = (ctx: StoreContext, sessions: Sessions): Runs => {
  const { db, path, st, batch, sql, memory, now, touch, hasArtifact, noteFailure } = ctx
  const { ensureSession, claimRow } = sessions

  return {
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
        const unclaimed = memory ? [] : rows.filter((r) => r.usedAt < sessions.sessionStart())
        if (unclaimed.length > 0) {
          const t = Math.max(now(), sessions.sessionStart())
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

    bindRunRow: (runId, key, output, endedAt) => {
      st.bind.run(key, runId, output, endedAt)
    }
  }
}
