/**
 * The smallest pieces every view is built of: a status symbol, a bar,
 * status counts, the name column's width. Functions of plain props.
 *
 * @since 0.1.0
 */
import { Text } from "ink"
import type { ReactNode } from "react"
import { bar, spinner, statusStyle, type DisplayStatus } from "../format.js"

/**
 * A status symbol in its colour (the running symbol spins with `now`).
 *
 * @since 0.1.0
 * @category components
 */
export const StatusIcon = ({ status, now }: { readonly status: DisplayStatus; readonly now?: number }): ReactNode => {
  const st = statusStyle[status]
  return (
    <Text color={st.color} dimColor={st.dim === true}>
      {status === "running" && now !== undefined ? spinner(now) : st.symbol}
    </Text>
  )
}

/**
 * A bar of `width` cells.
 *
 * @since 0.1.0
 * @category components
 */
export const Bar = ({ fraction, width, color = "green" }: { readonly fraction: number; readonly width: number; readonly color?: string }): ReactNode => {
  const b = bar(fraction, width)
  return (
    <Text>
      <Text color={color}>{b.filled}</Text>
      <Text dimColor>{b.empty}</Text>
    </Text>
  )
}

/**
 * Status counts as coloured `✓3 ◆1 ○2` (zero counts left out).
 *
 * @since 0.1.0
 * @category components
 */
export const Counts = ({ counts }: { readonly counts: Readonly<Record<DisplayStatus, number>> }): ReactNode => {
  const order: ReadonlyArray<DisplayStatus> = ["ran", "cached", "running", "queued", "planned", "failed", "interrupted", "skipped"]
  const shown = order.filter((k) => counts[k] > 0)
  return (
    <Text>
      {shown.map((k, i) => (
        <Text key={k} color={statusStyle[k].color} dimColor={statusStyle[k].dim === true}>
          {i > 0 ? " " : ""}
          {statusStyle[k].symbol}
          {counts[k]}
        </Text>
      ))}
    </Text>
  )
}

/**
 * Width of the name column for the stages on screen.
 *
 * @since 0.1.0
 * @category utils
 */
export const nameWidth = (names: ReadonlyArray<string>, width: number): number =>
  Math.max(6, Math.min(Math.floor(width * 0.3), Math.max(0, ...names.map((n) => n.length))))
