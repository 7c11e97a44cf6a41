/**
 * The extension point of `clipcl results`: a function from a pipeline's
 * latest run records to result rows. A pipeline may bring its own
 * (`pipeline(name, build, { results })`); otherwise {@link defaultResults}
 * gives one row per stage with its status, duration, params and metrics.
 * The evaluation area replaces or wraps `defaultResults` to produce the
 * paper's tables.
 *
 * @since 0.1.0
 */
import type { Pipeline, ResultsHook, RunSummary } from "../dsl/Pipeline.js"
import { renderTable, resultsTable } from "../ui/render.js"

/**
 * One row per stage run: stage, kind, status, ms, then params and metrics
 * flattened (`param.lr`, `metric.accuracy`).
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultResults: ResultsHook = (runs) =>
  runs.map((r) => {
    const row: Record<string, unknown> = { stage: r.stage, kind: r.stageKind, status: r.status, ms: r.endedAt - r.startedAt }
    if (typeof r.params === "object" && r.params !== null) for (const [k, v] of Object.entries(r.params)) row[`param.${k}`] = v
    for (const [k, v] of Object.entries(r.metrics ?? {})) row[`metric.${k}`] = v
    return row
  })

/**
 * The latest run of each stage (runs given newest first), in first-seen order.
 *
 * @since 0.1.0
 * @category utils
 */
export const latestPerStage = <R extends RunSummary>(runs: ReadonlyArray<R>): ReadonlyArray<R> => {
  const seen = new Set<string>()
  const out: Array<R> = []
  for (const r of runs) {
    if (seen.has(r.stage)) continue
    seen.add(r.stage)
    out.push(r)
  }
  return out.reverse()
}

/**
 * The rows `clipcl results` prints for a pipeline.
 *
 * @since 0.1.0
 * @category utils
 */
export const resultsRows = (p: Pipeline, runsNewestFirst: ReadonlyArray<RunSummary>): ReadonlyArray<Readonly<Record<string, unknown>>> =>
  (p.results ?? defaultResults)(latestPerStage(runsNewestFirst))

/**
 * Rows as text with the shared table renderer (`src/ui/render.tsx`, as the
 * live view and `clipcl plan` draw tables): result rows of the evaluation
 * area with its columns and rounding, other records column by column.
 * `width` bounds the line length (default: wide enough never to cut a cell).
 *
 * @since 0.1.0
 * @category utils
 */
export const formatTable = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, width = 1000): string => {
  const table = resultsTable(rows)
  return table === undefined ? "(no runs)\n" : renderTable(table, { width })
}
