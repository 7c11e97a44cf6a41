/**
 * The seam for `clipcl results`: from the table artifacts of a pipeline's
 * (or sweep's) latest runs to printed result rows and plot files.
 *
 * The CLI loads each latest `table` output from the cache, keeps those that
 * {@link isEvalTable} recognises (an evaluate stage's long-form table), and
 * hands them here with the stage name as `source`; everything else about the
 * paper's tables lives in this module. When no evaluation table is found
 * the CLI keeps its generic one-row-per-stage view.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { EvalTableError, type PlotError } from "./EvalError.js"
import { decodeEvalTable, type EvalTable } from "./EvalTable.js"
import { formatResults, type ResultFormat } from "./format.js"
import { resultPlots, writePlots } from "./plots/index.js"
import { resultRows, type ResultOptions, type ResultRow } from "./results.js"

/** Columns every evaluation table has. */
const REQUIRED = ["method", "session", "task", "role", "metric", "value"] as const

/**
 * Whether a stored table looks like an evaluation table (has the long-form
 * columns), so the CLI can pick evaluate-stage outputs among other tables.
 * It does not validate rows: {@link evalReport} does, naming the bad row.
 *
 * @since 0.1.0
 * @category utils
 */
export const isEvalTable = (u: unknown): boolean => {
  if (Array.isArray(u)) return u.length > 0 && typeof u[0] === "object" && u[0] !== null && REQUIRED.every((k) => k in (u[0] as object))
  if (typeof u === "object" && u !== null && Array.isArray((u as { columns?: unknown }).columns)) {
    const cols = (u as { columns: ReadonlyArray<unknown> }).columns
    return REQUIRED.every((k) => cols.includes(k))
  }
  return false
}

/**
 * A stored table and where it came from (stage instance name or file).
 *
 * @since 0.1.0
 * @category models
 */
export interface TableSource {
  readonly source: string
  readonly table: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ReportOptions extends ResultOptions {
  readonly format?: ResultFormat
  /** Write the plots the tables support into this directory. */
  readonly plotsDir?: string
  /** Also write PNGs next to the SVGs. */
  readonly png?: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly rows: ReadonlyArray<ResultRow>
  /** The rows rendered in the requested format (default `text`). */
  readonly text: string
  /** Plot files written (empty without `plotsDir`). */
  readonly plots: ReadonlyArray<string>
}

/**
 * Decodes the tables, aggregates them into result rows, renders them and
 * optionally writes plots.
 *
 * @since 0.1.0
 * @category constructors
 */
export const evalReport = (
  tables: ReadonlyArray<TableSource>,
  options: ReportOptions = {},
): Effect.Effect<Report, EvalTableError | PlotError> =>
  Effect.gen(function* () {
    if (tables.length === 0) return yield* Effect.fail(new EvalTableError({ source: options.source ?? "results", reason: "no evaluation tables to report" }))
    const decoded: EvalTable[] = []
    for (const t of tables) decoded.push(yield* decodeEvalTable(t.table, t.source))
    const rows = yield* resultRows(decoded, options)
    const plots = options.plotsDir === undefined
      ? []
      : yield* Effect.try({
          try: () => resultPlots(decoded, options.pretrainedMethod),
          catch: (e) => (e instanceof EvalTableError ? e : new EvalTableError({ source: options.source ?? "results", reason: String(e) })),
        }).pipe(Effect.flatMap((plots) => writePlots(options.plotsDir!, plots, { png: options.png ?? false })))
    return { rows, text: formatResults(rows, options.format ?? "text"), plots }
  })

/**
 * The part of a stage run record the report needs (the cache's `RunRecord`
 * fits).
 *
 * @since 0.1.0
 * @category models
 */
export interface TableRun {
  readonly stage: string
  readonly status: string
  readonly outputKind: string
  readonly output: string | null
}

/**
 * From a pipeline's latest run records to a report: reads every successful
 * `table` output with `readTable` (the CLI passes the cache read + table
 * decode), keeps the evaluation tables, and reports them. Succeeds with
 * `null` when there is none, so the caller can fall back to its generic
 * view. Read failures pass through unchanged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const evalReportFromRuns = <E>(
  runs: ReadonlyArray<TableRun>,
  readTable: (hash: string) => Effect.Effect<unknown, E>,
  options: ReportOptions = {},
): Effect.Effect<Report | null, E | EvalTableError | PlotError> =>
  Effect.gen(function* () {
    const tables: TableSource[] = []
    for (const r of runs) {
      if (r.status !== "ok" || r.outputKind !== "table" || r.output === null) continue
      const table = yield* readTable(r.output)
      if (isEvalTable(table)) tables.push({ source: r.stage, table })
    }
    return tables.length === 0 ? null : yield* evalReport(tables, options)
  })
