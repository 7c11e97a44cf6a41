/**
 * The stage list: one line per stage (its state, bar, rate, ETA, metrics,
 * failure), group headers and the line for what did not fit.
 *
 * @since 0.1.0
 */
import { Box, Text } from "ink"
import type { ReactNode } from "react"
import { clock, metricsText, rateText, shortDuration, statusStyle, truncate } from "../format.js"
import { errorLines, layoutRows, WIDE, type Row } from "../layout.js"
import { causeLine, displayStatus, focusedStage, stageElapsed, stageEta, stageFraction, stageRate, type StageView, type UiState } from "../state.js"
import { Bar, Counts, nameWidth, StatusIcon } from "./primitives.js"

const stepsText = (s: StageView): string => (s.progress ? `${s.progress.step}/${s.progress.total}` : "")

/**
 * A cluster job in words: `slurm 12 RUNNING on n2 · queued 0.4s · run 0:12`
 * while it runs (the queue wait counts up while it is pending), `slurm 12
 * on n2 · queued 0.4s` once it ended (the stage's time is the run time),
 * with the cluster's state where it ended badly (`TIMEOUT`).
 *
 * @since 0.1.0
 * @category utils
 */
export const jobText = (s: Pick<StageView, "status" | "job">, now: number): string | undefined => {
  const j = s.job
  if (j === undefined) return undefined
  const name = `${j.executor} ${j.id}${j.attempt !== undefined && j.attempt > 1 ? ` (attempt ${j.attempt})` : ""}`
  const where = j.node ? ` on ${j.node}` : ""
  if (s.status === "running") {
    const queued = j.queueWaitMs !== undefined ? shortDuration(j.queueWaitMs) : j.runningSince === undefined ? clock(Math.max(0, now - j.seenAt)) : undefined
    return [
      `${name} ${j.state ?? "submitted"}${where}`,
      ...(queued !== undefined ? [`queued ${queued}`] : []),
      ...(j.runningSince !== undefined ? [`run ${clock(Math.max(0, now - j.runningSince))}`] : [])
    ].join(" · ")
  }
  const ended = s.status === "ran" || j.state === undefined || j.state === "COMPLETED" || j.state === "RUNNING" ? "" : ` ${j.state}`
  return [`${name}${ended}${where}`, ...(j.queueWaitMs !== undefined ? [`queued ${shortDuration(j.queueWaitMs)}`] : [])].join(" · ")
}

/** Job, rate, elapsed (a job's run time instead), ETA and metrics of a running stage. */
const runningDetail = (s: StageView, now: number): string => {
  const rate = stageRate(s)
  const eta = stageEta(s, now)
  const job = jobText(s, now)
  const parts = [
    ...(job !== undefined ? [job] : []),
    ...(rate !== undefined ? [rateText(rate)] : []),
    ...(job === undefined ? [clock(stageElapsed(s, now))] : []),
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
  const job = status === "ran" || status === "failed" || status === "interrupted" ? jobText(s, now) : undefined
  const pad = " ".repeat(lead.length + 4)
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {head}
        <Text color={statusStyle[status].color} dimColor={status !== "failed" && status !== "interrupted"}>
          {truncate(job !== undefined ? `${tail} · ${job}` : tail, width - used)}
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
