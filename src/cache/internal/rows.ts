/**
 * The store's rows as SQLite holds them (`artifacts`, `runs`), shared by the
 * store's parts, the group commit and export/import, and the mapping of a
 * `runs` row to the public `RunRecord`.
 *
 * @internal
 */
import type { ArtifactKind, CacheKey, ContentHash, RunRecord } from "../CacheStore.js"

/** An `artifacts` row. */
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

/** A `runs` row as bound to the insert statement. */
export interface RunParams {
  readonly uid: string
  readonly key: string
  readonly pipeline: string
  readonly stage: string
  readonly stage_kind: string
  readonly preimage: string
  readonly params: string
  readonly inputs: string
  readonly output: string | null
  readonly output_kind: string
  readonly status: string
  readonly started_at: number
  readonly ended_at: number
  readonly metrics: string | null
  readonly log_tail: string
  readonly error: string | null
}

/** A `runs` row as stored: the bound parameters plus its row id. */
export interface RunRow extends RunParams {
  readonly id: number
}

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

/**
 * The statement that records a run (named parameters of {@link RunParams}),
 * shared by the store and its group commit.
 */
export const INSERT_RUN_SQL = `INSERT INTO runs(uid, key, pipeline, stage, stage_kind, preimage, params, inputs, output,
     output_kind, status, started_at, ended_at, metrics, log_tail, error)
   VALUES (@uid, @key, @pipeline, @stage, @stage_kind, @preimage, @params, @inputs, @output,
     @output_kind, @status, @started_at, @ended_at, @metrics, @log_tail, @error)`

/** Points a key at a run's output; a binding only moves to a run that ended no earlier. */
export const BIND_SQL = `INSERT INTO bindings(key, run, output, ended_at) VALUES (?, ?, ?, ?)
   ON CONFLICT(key) DO UPDATE SET run = excluded.run, output = excluded.output,
     ended_at = excluded.ended_at
   WHERE excluded.ended_at >= bindings.ended_at`
