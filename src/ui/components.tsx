/**
 * The ink components of every clipcl view. Each is a function of plain
 * props (the reducer's state, a width): no hooks, no I/O, so the live view,
 * `clipcl plan`, `clipcl results` and the end-of-run summary render with
 * the same pieces and tests render them directly.
 *
 * @since 0.1.0
 */
import { Box, Text } from "ink"
import type { ReactNode } from "react"
import type { PlannedStage } from "../scheduler/Event.js"
import { bar, clock, metricsText, rateText, shortDuration, spinner, statusStyle, truncate, type DisplayStatus } from "./format.js"
import { errorLines, layoutRows, WIDE, type Row } from "./layout.js"
import { causeLine, displayStatus, focusedStage, overall, type Overall, stageElapsed, stageEta, stageFraction, stageRate, type StageView, type SummaryView, type TableData, type UiState } from "./state.js"

/**
 * Log lines the live pane shows.
 *
 * @since 0.1.0
 * @category models
 */
export const LOG_PANE_LINES = 4

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

/** Width of the name column for the stages on screen. */
const nameWidth = (names: ReadonlyArray<string>, width: number): number =>
  Math.max(6, Math.min(Math.floor(width * 0.3), Math.max(0, ...names.map((n) => n.length))))

const stepsText = (s: StageView): string => (s.progress ? `${s.progress.step}/${s.progress.total}` : "")

/** Rate, elapsed, ETA and metrics of a running stage. */
const runningDetail = (s: StageView, now: number): string => {
  const rate = stageRate(s)
  const eta = stageEta(s, now)
  const parts = [
    ...(rate !== undefined ? [rateText(rate)] : []),
    clock(stageElapsed(s, now)),
    ...(eta !== undefined ? [`eta ${clock(eta)}`] : []),
    ...(s.metrics ? [metricsText(s.metrics)] : [])
  ]
  return parts.join(" · ")
}

/**
 * Where to read a failed stage's whole log.
 *
 * @since 0.1.0
 * @category utils
 */
export const logHint = (s: Pick<StageView, "name" | "error">): string => (s.error?.logPath ? `log: ${s.error.logPath}` : `log: clipcl logs ${s.name}`)

/**
 * One stage: its symbol and name, then for a running stage a bar with step
 * / total, percent, rate, elapsed, ETA and metrics (on a second line below
 * {@link WIDE} columns); for a finished one its time; for a failed one the
 * message, the cause and where the log is.
 *
 * @since 0.1.0
 * @category components
 */
export const StageLine = ({
  stage: s,
  now,
  width,
  nameCols,
  indent,
  focused
}: {
  readonly stage: StageView
  readonly now: number
  readonly width: number
  readonly nameCols: number
  readonly indent: boolean
  readonly focused: boolean
}): ReactNode => {
  const status = displayStatus(s)
  const lead = (indent ? "  " : "") + (focused ? "›" : " ")
  const name = truncate(indent ? s.shortName : s.name, nameCols).padEnd(nameCols)
  const head = (
    <>
      <Text color="cyan">{lead}</Text>
      <StatusIcon status={status} now={now} />
      <Text> </Text>
      <Text bold={focused || status === "running"} dimColor={status === "queued" || status === "skipped"}>
        {name}
      </Text>
      <Text> </Text>
    </>
  )
  const used = lead.length + 2 + nameCols + 1
  if (s.status === "running" && s.progress === undefined) {
    return (
      <Text wrap="truncate">
        {head}
        <Text color="yellow">running</Text>
        <Text color="gray"> · {truncate(runningDetail(s, now), width - used - 10)}</Text>
      </Text>
    )
  }
  if (s.status === "running") {
    const steps = stepsText(s)
    const pct = s.progress ? `${String(Math.floor(stageFraction(s) * 100)).padStart(3)}%` : ""
    const detail = runningDetail(s, now)
    const wide = width >= WIDE
    const barW = wide ? 24 : Math.max(8, Math.min(40, width - used - steps.length - pct.length - 3))
    return (
      <Box flexDirection="column">
        <Text wrap="truncate">
          {head}
          <Bar fraction={stageFraction(s)} width={barW} color="yellow" />
          <Text> {steps}</Text>
          <Text dimColor> {pct}</Text>
          {wide ? <Text> {truncate(detail, width - used - barW - steps.length - pct.length - 4)}</Text> : null}
        </Text>
        {wide ? null : (
          <Text wrap="truncate" dimColor={false}>
            {" ".repeat(used)}
            <Text color="gray">{truncate(detail, width - used)}</Text>
          </Text>
        )}
      </Box>
    )
  }
  const tail =
    status === "ran"
      ? shortDuration(s.durationMs ?? 0)
      : status === "cached"
        ? `cached${s.savedMs ? ` · saved ${shortDuration(s.savedMs)}` : ""}`
        : status === "queued"
          ? s.planned === "cached" ? "cached" : "queued"
          : status === "skipped"
            ? `skipped${s.error ? ` · ${s.error.message}` : ""}`
            : status === "interrupted"
              ? `interrupted after ${shortDuration(s.durationMs ?? 0)}`
              : `failed after ${shortDuration(s.durationMs ?? 0)}`
  const pad = " ".repeat(lead.length + 4)
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {head}
        <Text color={statusStyle[status].color} dimColor={status !== "failed" && status !== "interrupted"}>
          {truncate(tail, width - used)}
        </Text>
      </Text>
      {errorLines(s) > 0 ? (
        <>
          <Text wrap="truncate" color="red">
            {pad}
            {truncate(s.error?.message ?? "failed", width - pad.length)}
          </Text>
          {causeLine(s.error) ? (
            <Text wrap="truncate" color="gray">
              {pad}cause: {truncate(causeLine(s.error)!, width - pad.length - 7)}
            </Text>
          ) : null}
          <Text wrap="truncate" color="gray">
            {pad}
            {truncate(logHint(s), width - pad.length)}
          </Text>
        </>
      ) : null}
    </Box>
  )
}

/**
 * A group header: open `▾ label  ✓1 ●1`, folded `▸ label (n)  ✓n`.
 *
 * @since 0.1.0
 * @category components
 */
export const GroupLine = ({ row, width }: { readonly row: Extract<Row, { type: "group" }>; readonly width: number }): ReactNode => (
  <Text wrap="truncate">
    <Text color="blue">{row.open ? "▾ " : "▸ "}</Text>
    <Text bold>{truncate(row.label, Math.max(8, width - 30))}</Text>
    <Text dimColor> ({row.size}) </Text>
    <Counts counts={row.counts} />
  </Text>
)

/**
 * The line that stands for folded groups or stages cut for space.
 *
 * @since 0.1.0
 * @category components
 */
export const MoreLine = ({ row }: { readonly row: Extract<Row, { type: "more" }> }): ReactNode => (
  <Text wrap="truncate">
    <Text color="blue">+ </Text>
    <Text dimColor>
      {row.groups > 0 ? `${row.groups} more group${row.groups === 1 ? "" : "s"}, ` : ""}
      {row.stages} stage{row.stages === 1 ? "" : "s"}{" "}
    </Text>
    <Counts counts={row.counts} />
  </Text>
)

/**
 * The stage list for a budget of lines (see `layout.ts`).
 *
 * @since 0.1.0
 * @category components
 */
export const StageList = ({ state, width, lines }: { readonly state: UiState; readonly width: number; readonly lines: number }): ReactNode => {
  const rows = layoutRows(state, width, lines)
  const focus = state.summary ? undefined : focusedStage(state)
  const names = rows.flatMap((r) => (r.type === "stage" ? [r.indent ? state.stages[r.name]!.shortName : r.name] : []))
  const cols = nameWidth(names, width)
  return (
    <Box flexDirection="column">
      {rows.map((r, i) =>
        r.type === "group" ? (
          <GroupLine key={`g:${r.label}:${i}`} row={r} width={width} />
        ) : r.type === "more" ? (
          <MoreLine key={`m:${i}`} row={r} />
        ) : (
          <StageLine
            key={`s:${r.name}`}
            stage={state.stages[r.name]!}
            now={state.now}
            width={width}
            nameCols={cols}
            indent={r.indent}
            focused={focus?.name === r.name && state.stages[r.name]!.status === "running"}
          />
        )
      )}
    </Box>
  )
}

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

/**
 * What `clipcl plan` shows: the stages by group, with the status symbol of
 * what will happen (`○ run`, `◆ cached`), short key and reasons.
 *
 * @since 0.1.0
 * @category components
 */
export const PlanView = ({
  groups,
  stages,
  width
}: {
  readonly groups: ReadonlyArray<{ readonly label: string; readonly stages: ReadonlyArray<PlannedStage & { readonly provisional?: boolean }> }>
  readonly stages: number
  readonly width: number
}): ReactNode => {
  const all = groups.flatMap((g) => g.stages)
  const single = groups.length === 1
  const cols = nameWidth(all.map((s) => s.stage), width)
  const run = all.filter((s) => s.action === "run").length
  const provisional = all.some((s) => s.provisional === true)
  // An expected-duration column only when some stage to run has an estimate from history.
  const estimates = all.some((s) => s.action === "run" && s.estimate !== undefined)
  const line = (s: PlannedStage & { readonly provisional?: boolean }) => {
    const status: DisplayStatus = s.action === "run" ? "planned" : "cached"
    const lead = single ? " " : "   "
    const used = lead.length + 2 + cols + 1 + 6 + 1 + 8 + 2 + (estimates ? 8 : 0)
    const expected = s.action === "run" && s.estimate !== undefined && s.expectedMs !== undefined ? `~${shortDuration(s.expectedMs)}` : ""
    return (
      <Text key={s.stage} wrap="truncate">
        {lead}
        <StatusIcon status={status} /> {truncate(s.stage, cols).padEnd(cols)}{" "}
        <Text color={statusStyle[status].color}>{(s.action === "run" ? "run" : "cached").padEnd(6)}</Text>{" "}
        <Text dimColor>{s.key.slice(0, 8).padEnd(8)}</Text>
        {s.provisional ? "* " : "  "}
        {estimates ? <Text color="magenta">{expected.padEnd(8)}</Text> : null}
        {truncate(s.reasons.join("; "), width - used)}
      </Text>
    )
  }
  return (
    <Box flexDirection="column" width={width}>
      {groups.map((g) => (
        <Box key={g.label} flexDirection="column">
          {single ? null : (
            <Text>
              <Text color="blue">▾ </Text>
              <Text bold>{g.label}</Text>
              <Text dimColor> ({g.stages.length})</Text>
            </Text>
          )}
          {g.stages.map(line)}
        </Box>
      ))}
      <Text>
        {stages} stage{stages === 1 ? "" : "s"}: <Text color={statusStyle.planned.color}>{run} to run</Text>, <Text color={statusStyle.cached.color}>{stages - run} cached</Text>
        {provisional ? " (* provisional key: an input will be recomputed)" : ""}
      </Text>
    </Box>
  )
}
