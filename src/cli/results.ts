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
 * Rows as an aligned text table.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatTable = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string => {
  if (rows.length === 0) return "(no runs)\n"
  const cols: Array<string> = []
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k)
  const cell = (v: unknown) => (v === undefined ? "" : typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : typeof v === "string" ? v : JSON.stringify(v))
  const cells = rows.map((r) => cols.map((c) => cell(r[c])))
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j]!.length)))
  const line = (xs: ReadonlyArray<string>) => xs.map((x, j) => x.padEnd(widths[j]!)).join("  ").trimEnd()
  return [line(cols), ...cells.map(line)].join("\n") + "\n"
}
