/**
 * The job ledger: every cluster job a run submitted, in the cache file
 * (table `jobs`), so that a coordinator that died can be followed by one
 * that reattaches to its jobs instead of submitting them again.
 *
 * A row is written *before* `sbatch` is called (state `submitting`, with
 * the attempt's spool directory) and gets its job id the moment `sbatch`
 * returns, in the same synchronous step; a coordinator killed in between
 * leaves a `submitting` row whose job is found by its spool directory
 * (the job's comment).
 *
 * The table is additive: it is created if absent, on its own connection to
 * the cache file (WAL lets it sit beside the store's), and a store that
 * never ran a cluster job simply has none. Only the `clipcl run` process
 * writes it; `clipcl jobs` reads it.
 *
 * @since 0.1.0
 */
import Database from "better-sqlite3"

/**
 * Where a job stands, as far as clipcl knows.
 *
 * @since 0.1.0
 * @category models
 */
export type JobRowState =
  | "submitting" // row written, sbatch not yet returned
  | "active" // submitted, result not yet taken in
  | "taken" // result taken in and recorded
  | "failed" // the stage failed (error, refused, timeout, out of memory)
  | "lost" // left the queue without a result; a new attempt was (or will be) made
  | "cancelled" // cancelled by this run (Ctrl-C)

/**
 * @since 0.1.0
 * @category models
 */
export interface JobRow {
  readonly id: number
  readonly key: string
  readonly pipeline: string
  readonly stage: string
  readonly executor: string
  readonly attempt: number
  readonly dir: string
  readonly jobId: string | null
  readonly state: JobRowState
  readonly node: string | null
  readonly submittedAt: number
  readonly startedAt: number | null
  readonly endedAt: number | null
  /** Nodes this attempt was told to avoid (comma-separated). */
  readonly exclude: string | null
  readonly detail: string | null
}

/**
 * @since 0.1.0
 * @category models
 */
export interface JobLedger {
  readonly insert: (row: Omit<JobRow, "id" | "jobId" | "state" | "node" | "startedAt" | "endedAt" | "detail">) => number
  readonly setJobId: (id: number, jobId: string) => void
  readonly update: (id: number, patch: Partial<Pick<JobRow, "state" | "node" | "startedAt" | "endedAt" | "detail" | "jobId">>) => void
  /** Rows not yet settled (submitting or active), oldest first. */
  readonly open: (pipeline?: string) => ReadonlyArray<JobRow>
  /** Rows of one stage key, newest first. */
  readonly byKey: (key: string) => ReadonlyArray<JobRow>
  /** Latest rows, newest first. */
  readonly recent: (filter?: { readonly stage?: string; readonly pipeline?: string; readonly limit?: number }) => ReadonlyArray<JobRow>
  readonly close: () => void
}

const DDL = `
CREATE TABLE IF NOT EXISTS jobs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  stage TEXT NOT NULL,
  executor TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  dir TEXT NOT NULL,
  job_id TEXT,
  state TEXT NOT NULL,
  node TEXT,
  submitted_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  exclude TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs(key, id);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, id);
`

const COLUMNS = `id, key, pipeline, stage, executor, attempt, dir, job_id AS jobId, state, node,
  submitted_at AS submittedAt, started_at AS startedAt, ended_at AS endedAt, exclude, detail`

const FIELDS: Readonly<Record<string, string>> = {
  state: "state",
  node: "node",
  startedAt: "started_at",
  endedAt: "ended_at",
  detail: "detail",
  jobId: "job_id"
}

/**
 * Open the ledger of the cache at `path` (":memory:" gives a private one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openJobLedger = (path: string, options: { readonly readonly?: boolean } = {}): JobLedger => {
  const db = new Database(path, options.readonly ? { readonly: true, fileMustExist: true } : {})
  db.pragma("busy_timeout = 10000")
  const hasTable = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs'").get() !== undefined
  if (!options.readonly) {
    if (path !== ":memory:") db.pragma("journal_mode = WAL")
    db.exec(DDL)
  }
  const rows = (sql: string, ...args: Array<unknown>): ReadonlyArray<JobRow> => (hasTable() ? (db.prepare(sql).all(...args) as Array<JobRow>) : [])
  return {
    insert: (r) =>
      Number(
        db
          .prepare(
            "INSERT INTO jobs(key, pipeline, stage, executor, attempt, dir, state, submitted_at, exclude) VALUES (?, ?, ?, ?, ?, ?, 'submitting', ?, ?)"
          )
          .run(r.key, r.pipeline, r.stage, r.executor, r.attempt, r.dir, r.submittedAt, r.exclude).lastInsertRowid
      ),
    setJobId: (id, jobId) => {
      db.prepare("UPDATE jobs SET job_id = ?, state = 'active' WHERE id = ?").run(jobId, id)
    },
    update: (id, patch) => {
      const sets: Array<string> = []
      const args: Array<unknown> = []
      for (const [k, v] of Object.entries(patch)) {
        if (v === undefined || FIELDS[k] === undefined) continue
        sets.push(`${FIELDS[k]} = ?`)
        args.push(v)
      }
      if (sets.length > 0) db.prepare(`UPDATE jobs SET ${sets.join(", ")} WHERE id = ?`).run(...args, id)
    },
    open: (pipeline) =>
      pipeline === undefined
        ? rows(`SELECT ${COLUMNS} FROM jobs WHERE state IN ('submitting', 'active') ORDER BY id`)
        : rows(`SELECT ${COLUMNS} FROM jobs WHERE state IN ('submitting', 'active') AND pipeline = ? ORDER BY id`, pipeline),
    byKey: (key) => rows(`SELECT ${COLUMNS} FROM jobs WHERE key = ? ORDER BY id DESC`, key),
    recent: (f = {}) => {
      const where: Array<string> = []
      const args: Array<unknown> = []
      if (f.stage !== undefined) where.push("stage = ?"), args.push(f.stage)
      if (f.pipeline !== undefined) where.push("pipeline = ?"), args.push(f.pipeline)
      return rows(`SELECT ${COLUMNS} FROM jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`, ...args, f.limit ?? 50)
    },
    close: () => db.close()
  }
}
