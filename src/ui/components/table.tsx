/**
 * A table fitted to the terminal's width (results, `clipcl results`).
 *
 * @since 0.1.0
 */
import { Box, Text } from "ink"
import type { ReactNode } from "react"
import { truncate } from "../format.js"
import type { TableData } from "../state.js"

/**
 * Column widths that fit `width`: the widest text column gives way first.
 *
 * @since 0.1.0
 * @category utils
 */
export const fitColumns = (table: TableData, width: number, gap = 2): ReadonlyArray<number> => {
  const widths = table.header.map((h, j) => Math.max(h.length, ...table.rows.map((r) => (r[j] ?? "").length)))
  const total = () => widths.reduce((a, b) => a + b, 0) + gap * Math.max(0, widths.length - 1)
  while (total() > width) {
    let j = -1
    for (let k = 0; k < widths.length; k++) if (!table.numeric[k] && widths[k]! > 6 && (j < 0 || widths[k]! > widths[j]!)) j = k
    if (j < 0) break
    widths[j] = Math.max(6, widths[j]! - (total() - width))
  }
  return widths
}

/**
 * A table: bold header, a rule, numeric columns right-aligned, text cut
 * with `…` to fit `width`.
 *
 * @since 0.1.0
 * @category components
 */
export const Table = ({ table, width }: { readonly table: TableData; readonly width: number }): ReactNode => {
  const widths = fitColumns(table, width)
  const cell = (text: string, j: number) => {
    const t = truncate(text, widths[j]!)
    return table.numeric[j] ? t.padStart(widths[j]!) : t.padEnd(widths[j]!)
  }
  const line = (cells: ReadonlyArray<string>) => cells.map((c, j) => cell(c, j)).join("  ").trimEnd()
  return (
    <Box flexDirection="column">
      {table.title ? <Text bold>{table.title}</Text> : null}
      <Text bold wrap="truncate">
        {line(table.header)}
      </Text>
      <Text dimColor wrap="truncate">
        {widths.map((w) => "─".repeat(w)).join("  ")}
      </Text>
      {table.rows.map((r, i) => (
        <Text key={i} wrap="truncate">
          {line(table.header.map((_, j) => r[j] ?? ""))}
        </Text>
      ))}
    </Box>
  )
}
