/**
 * The views as strings, for commands that print once (`clipcl results`)
 * and for the final frame in tests: the same ink components rendered with
 * `renderToString`, then stripped of colour unless asked for, so a pipe
 * never gets escape codes. `clipcl plan`'s text is plain strings
 * (`planText.ts`), re-exported here.
 *
 * @since 0.1.0
 */
import { renderToString } from "ink"
import { Table } from "./components/table.js"
import { LiveView } from "./components/views.js"
import { stripAnsi } from "./format.js"
import type { TableData, UiState } from "./state.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** Columns (default 80). */
  readonly width?: number
  /** Keep ink's colours (it colours only when stdout supports it). Default false. */
  readonly color?: boolean
}

const finish = (text: string, options: RenderOptions): string => {
  const out = options.color === true ? text : stripAnsi(text)
  return out.split("\n").map((l) => l.trimEnd()).join("\n").replace(/\n*$/, "\n")
}

/**
 * `clipcl plan`: the planned stages grouped as in the live view, with
 * `○ run` / `◆ cached`, short key and reasons (plain text, no ink: see
 * `planText.ts`).
 *
 * @since 0.1.0
 * @category utils
 */
export { renderPlan } from "./planText.js"

const cellText = (v: unknown): string =>
  v === undefined || v === null ? "" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : typeof v === "string" ? v : JSON.stringify(v)

/**
 * Records (one object per row, columns in first-seen order) as table data;
 * columns whose every value is a number are right-aligned.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tableFromRecords = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, title?: string): TableData => {
  const header: Array<string> = []
  for (const r of rows) for (const k of Object.keys(r)) if (!header.includes(k)) header.push(k)
  return {
    ...(title ? { title } : {}),
    header,
    rows: rows.map((r) => header.map((h) => cellText(r[h]))),
    numeric: header.map((h) => rows.some((r) => typeof r[h] === "number") && rows.every((r) => r[h] === undefined || r[h] === null || typeof r[h] === "number"))
  }
}

/**
 * A markdown table (`| a | b |`, then `| --- | ---: |`, as a results hook
 * may render its report) as table data: the hook keeps which columns people
 * see and how they are rounded; this module only draws them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tableFromMarkdown = (markdown: string, title?: string): TableData => {
  const split = (line: string) =>
    line
      .trim()
      .replace(/^\|/, "")
      .replace(/\|$/, "")
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, "|"))
  const lines = markdown.split("\n").filter((l) => l.trim().startsWith("|"))
  if (lines.length < 2) return { ...(title ? { title } : {}), header: [], rows: [], numeric: [] }
  const header = split(lines[0]!)
  const align = split(lines[1]!)
  return {
    ...(title ? { title } : {}),
    header,
    rows: lines.slice(2).map(split),
    numeric: header.map((_, j) => /^-+:$/.test(align[j] ?? ""))
  }
}

/**
 * The table for result rows (records, as a results hook returns them),
 * column by column; undefined when there are no rows. What the rows mean
 * is the hook's business: a hook with its own columns and rounding renders
 * its report itself (see `src/cli/results.ts`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const resultsTable = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>, title?: string): TableData | undefined =>
  rows.length === 0 ? undefined : tableFromRecords(rows, title)

/**
 * A table as text (for `clipcl results` and the end of a run): accepts
 * table data or records.
 *
 * @since 0.1.0
 * @category utils
 */
export const renderTable = (rows: TableData | ReadonlyArray<Readonly<Record<string, unknown>>>, options: RenderOptions = {}): string => {
  const width = options.width ?? 80
  const table = Array.isArray(rows) ? tableFromRecords(rows as ReadonlyArray<Readonly<Record<string, unknown>>>) : (rows as TableData)
  if (table.header.length === 0) return "(no rows)\n"
  return finish(renderToString(<Table table={table} width={width} />, { columns: width }), options)
}

/**
 * One frame of the live view for a state (tests, docs, replays).
 *
 * @since 0.1.0
 * @category utils
 */
export const renderFrame = (state: UiState, options: RenderOptions & { readonly height?: number } = {}): string => {
  const width = options.width ?? 80
  return finish(renderToString(<LiveView state={state} width={width} height={options.height ?? 24} />, { columns: width }), options)
}
