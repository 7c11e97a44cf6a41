/**
 * Whole views built of the pieces: the live view (header, overall bar,
 * stage list, log pane, summary, results) and what `clipcl plan` shows.
 *
 * @since 0.1.0
 */
import { Box, Text } from "ink"
import type { ReactNode } from "react"
import { clock, shortDuration, statusStyle, truncate, type DisplayStatus } from "../format.js"
import { focusedStage, overall, type Overall, type StageView, type SummaryView, type UiState } from "../state.js"
import { Bar, StatusIcon } from "./primitives.js"
import { StageList } from "./stages.js"
import { Table } from "./table.js"

/**
 * Log lines the live pane shows.
 *
 * @since 0.1.0
 * @category models
 */
export const LOG_PANE_LINES = 4

/**
 * First line: program, pipeline, backend, elapsed time.
 *
 * @since 0.1.0
 * @category components
 */
export const Header = ({ state, width, progress }: { readonly state: UiState; readonly width: number; readonly progress?: Overall }): ReactNode => {
  const right = `${state.backend ? `backend ${state.backend} · ` : ""}${clock((progress ?? overall(state)).elapsedMs)}`
  const left = truncate(state.pipeline || "(waiting for the plan)", Math.max(8, width - right.length - 10))
  return (
    <Box width={width} justifyContent="space-between">
      <Text>
        <Text bold color="magenta">clipcl</Text>
        <Text> {left}</Text>
      </Text>
      <Text dimColor>{right}</Text>
    </Box>
  )
}

/**
 * The overall bar: stages done of all, weighted fraction, time left.
 *
 * @since 0.1.0
 * @category components
 */
export const OverallBar = ({ state, width, progress }: { readonly state: UiState; readonly width: number; readonly progress?: Overall }): ReactNode => {
  const o = progress ?? overall(state)
  const count = `${o.done}/${o.total} stages`
  const pct = `${String(Math.floor(o.fraction * 100)).padStart(3)}%`
  const left = o.remainingMs === undefined || state.summary ? "" : ` · ${o.remainingExact ? "~" : "≥"}${clock(o.remainingMs)} left`
  const barW = Math.max(10, Math.min(50, width - count.length - pct.length - left.length - 3))
  return (
    <Text wrap="truncate">
      <Text>{count} </Text>
      <Bar fraction={o.fraction} width={barW} color={state.summary && (state.summary.failed > 0 || state.summary.interrupted) ? "red" : "green"} />
      <Text> {pct}</Text>
      <Text dimColor>{left}</Text>
    </Text>
  )
}

/**
 * The last log lines of a stage under a rule naming it.
 *
 * @since 0.1.0
 * @category components
 */
export const LogPane = ({ stage, width, lines }: { readonly stage: StageView; readonly width: number; readonly lines: number }): ReactNode => {
  const shown = stage.logs.slice(-lines)
  const title = `─ log: ${stage.name}${shown.length === 0 ? " (no lines yet)" : ""} `
  return (
    <Box flexDirection="column">
      <Text dimColor wrap="truncate">
        {truncate(title, width)}
        {"─".repeat(Math.max(0, width - title.length))}
      </Text>
      {shown.map((l, i) => (
        <Text key={i} wrap="truncate" color={l.level === "error" ? "red" : l.level === "warn" ? "yellow" : undefined}>
          {"  "}
          {truncate(l.line, width - 2)}
        </Text>
      ))}
    </Box>
  )
}

/**
 * The end-of-run line: outcome, counts, time and time saved by cache hits.
 *
 * @since 0.1.0
 * @category components
 */
export const SummaryLine = ({ summary }: { readonly summary: SummaryView }): ReactNode => {
  const failed = summary.failed
  const interruptedStages = summary.interruptedStages
  const outcome: DisplayStatus = summary.interrupted ? "interrupted" : failed > 0 || summary.skipped > 0 ? "failed" : "ran"
  const word = summary.interrupted ? "interrupted after" : outcome === "failed" ? "finished with failures in" : "done in"
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <StatusIcon status={outcome} />
        <Text bold color={statusStyle[outcome].color}> {word} {summary.durationMs < 60_000 ? shortDuration(summary.durationMs) : clock(summary.durationMs)}</Text>
        {summary.savedMs > 0 ? <Text color="cyan"> · cache hits saved {shortDuration(summary.savedMs)}</Text> : null}
      </Text>
      <Text wrap="truncate">
        {"  "}
        {summary.ran} ran · {summary.cached} cached · {failed} failed{interruptedStages > 0 ? ` · ${interruptedStages} interrupted` : ""} · {summary.skipped} skipped
      </Text>
    </Box>
  )
}

const KEYS = "q stop · ↑↓/j k focus · l log"

/**
 * The live view (and, once the summary arrived, the final frame): header,
 * overall bar, stage list fitted to `height`, the focused stage's log, and
 * the key help or the summary and results table.
 *
 * @since 0.1.0
 * @category components
 */
export const LiveView = ({ state, width, height }: { readonly state: UiState; readonly width: number; readonly height: number }): ReactNode => {
  const focus = focusedStage(state)
  const done = state.summary !== undefined
  const showPane = focus !== undefined && (done ? focus.status === "failed" && focus.logs.length > 0 : state.showLogs)
  const paneLines = showPane ? 1 + Math.min(LOG_PANE_LINES, focus!.logs.length) : 0
  const tableLines = done && state.results ? state.results.rows.length + 3 + (state.results.title ? 1 : 0) : 0
  const fixed = 2 + paneLines + (done ? 2 : 1) + tableLines
  const lines = Math.max(done ? 8 : 3, height - fixed - 1)
  const progress = overall(state)
  return (
    <Box flexDirection="column" width={width}>
      <Header state={state} width={width} progress={progress} />
      <OverallBar state={state} width={width} progress={progress} />
      <StageList state={state} width={width} lines={lines} />
      {showPane ? <LogPane stage={focus!} width={width} lines={LOG_PANE_LINES} /> : null}
      {done ? (
        <>
          <SummaryLine summary={state.summary!} />
          {state.results ? (
            <Box marginTop={1}>
              <Table table={state.results} width={width} />
            </Box>
          ) : null}
        </>
      ) : state.stopping ? (
        <Text color="yellow" wrap="truncate">
          stopping: interrupting running stages… (press q again to quit at once)
        </Text>
      ) : (
        <Text dimColor wrap="truncate">
          {KEYS}
          {state.showLogs ? "" : " (hidden)"}
        </Text>
      )}
    </Box>
  )
}
