/**
 * Formatters for result rows: `json` (the machine contract: an array of
 * {@link ResultRow}, fractions, `null` where not applicable), `csv` (every
 * field, fractions, setting as JSON), `markdown` and `text` (for people:
 * percentages with one decimal, `-` for not applicable, columns that are
 * empty in every row left out, except the headline ones).
 *
 * @since 0.1.0
 */
import { settingLabel } from "../formats/settingLabel.js"
import type { ResultRow } from "./results.js"

/**
 * @since 0.1.0
 * @category models
 */
export type ResultFormat = "markdown" | "csv" | "json" | "text"

/**
 * The formats `clipcl results --format` accepts.
 *
 * @since 0.1.0
 * @category utils
 */
export const resultFormats: ReadonlyArray<ResultFormat> = ["markdown", "csv", "json", "text"]

type NumField = { [K in keyof ResultRow]: ResultRow[K] extends number | null ? K : never }[keyof ResultRow]

interface Column {
  readonly field: NumField
  readonly title: string
  /** Shown even when empty in every row. */
  readonly always: boolean
  /** A signed difference (drop, BWT, FWT): printed with a sign. */
  readonly signed?: boolean
  /** A count, not a fraction. */
  readonly count?: boolean
}

const columns: ReadonlyArray<Column> = [
  { field: "targetAcc", title: "Target acc", always: true },
  { field: "zeroShotAcc", title: "ZS acc", always: true },
  { field: "zeroShotDrop", title: "ZS drop", always: true, signed: true },
  { field: "utZsMean", title: "Mean", always: false },
  { field: "retrievalR1", title: "R@1", always: true },
  { field: "retrievalR5", title: "R@5", always: true },
  { field: "retrievalR10", title: "R@10", always: true },
  { field: "bwt", title: "BWT", always: true, signed: true },
  { field: "forgetting", title: "Forgetting", always: true },
  { field: "fwt", title: "FWT", always: false, signed: true },
  { field: "transfer", title: "Transfer", always: false },
  { field: "avg", title: "Avg.", always: false },
  { field: "last", title: "Last", always: false },
  { field: "sessions", title: "Sessions", always: false, count: true },
]

const pct = (v: number | null, c: Column): string => {
  if (v === null) return "-"
  if (c.count) return String(v)
  const s = (v * 100).toFixed(1)
  return c.signed && v > 0 ? `+${s}` : s
}

/** Columns to show for people: headline ones, plus any with a value. */
const shown = (rows: ReadonlyArray<ResultRow>): Column[] =>
  columns.filter((c) => c.always || (c.field !== "sessions" && rows.some((r) => r[c.field] !== null)) || (c.field === "sessions" && rows.some((r) => r.sessions > 1)))

const humanTable = (rows: ReadonlyArray<ResultRow>): { header: string[]; body: string[][]; numeric: boolean[] } => {
  const cols = shown(rows)
  const withSetting = rows.some((r) => Object.keys(r.setting).length > 0)
  const header = ["Method", ...(withSetting ? ["Setting"] : []), ...cols.map((c) => (c.count ? c.title : `${c.title} (%)`))]
  const body = rows.map((r) => [r.method, ...(withSetting ? [Object.keys(r.setting).length === 0 ? "-" : settingLabel(r.setting)] : []), ...cols.map((c) => pct(r[c.field] as number | null, c))])
  const numeric = [false, ...(withSetting ? [false] : []), ...cols.map(() => true)]
  return { header, body, numeric }
}

const markdown = (rows: ReadonlyArray<ResultRow>): string => {
  const { header, body, numeric } = humanTable(rows)
  const esc = (s: string) => s.replace(/\|/g, "\\|")
  const line = (cells: string[]) => `| ${cells.map(esc).join(" | ")} |`
  return [line(header), `|${numeric.map((n) => (n ? " ---: " : " --- ")).join("|")}|`, ...body.map(line)].join("\n") + "\n"
}

const text = (rows: ReadonlyArray<ResultRow>): string => {
  const { header, body, numeric } = humanTable(rows)
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j].length)))
  const fmt = (cells: string[]) => cells.map((c, j) => (numeric[j] ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join("  ").trimEnd()
  return [fmt(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(fmt)].join("\n") + "\n"
}

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

const csv = (rows: ReadonlyArray<ResultRow>): string => {
  const fields = rows.length > 0 ? Object.keys(rows[0]) : ["method", "setting", ...columns.map((c) => c.field)]
  return [fields.join(","), ...rows.map((r) => fields.map((f) => csvCell((r as unknown as Record<string, unknown>)[f])).join(","))].join("\n") + "\n"
}

/**
 * Renders result rows in one of the {@link resultFormats}.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatResults = (rows: ReadonlyArray<ResultRow>, format: ResultFormat): string => {
  switch (format) {
    case "json":
      return JSON.stringify(rows, null, 2) + "\n"
    case "csv":
      return csv(rows)
    case "markdown":
      return markdown(rows)
    case "text":
      return text(rows)
  }
}
