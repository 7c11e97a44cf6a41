/**
 * The live view's model: a pure reducer `(state, action) => state` over the
 * scheduler's events plus the view's own actions (clock ticks, keys). All
 * the arithmetic people read on screen (rates, ETAs, the overall fraction,
 * time saved) lives here as selectors, so it is tested without ink.
 *
 * @since 0.1.0
 */
import type { EngineEvent, PlannedStage, StageStatus } from "../scheduler/Event.js"
import { wallTime, type Task } from "../scheduler/estimate.js"
import type { DisplayStatus } from "./format.js"

/**
 * Lines of log kept per stage (the pane shows the last few).
 *
 * @since 0.1.0
 * @category models
 */
export const LOG_LINES_KEPT = 50

/**
 * @since 0.1.0
 * @category models
 */
export interface LogLine {
  readonly level: "info" | "warn" | "error"
  readonly line: string
  readonly time: number
}

/**
 * Progress of a running stage: the latest report and the first one, whose
 * difference gives the rate (so time spent loading inputs before the first
 * step does not count against it).
 *
 * @since 0.1.0
 * @category models
 */
export interface ProgressView {
  readonly step: number
  readonly total: number
  readonly time: number
  readonly firstStep: number
  readonly firstTime: number
}

/**
 * The cluster job a stage runs as (latest attempt): what the executor's
 * events said, and when the view saw it submitted and start running.
 *
 * @since 0.1.0
 * @category models
 */
export interface JobView {
  readonly executor: string
  readonly id: string
  readonly attempt: number | undefined
  /** The cluster's state (PENDING, RUNNING, TIMEOUT, ...). */
  readonly state: string | undefined
  readonly node: string | undefined
  /** Queue wait as the executor measured it (submit to RUNNING). */
  readonly queueWaitMs: number | undefined
  /** When the view first saw this job (its submission). */
  readonly seenAt: number
  /** When the view first saw it RUNNING. */
  readonly runningSince: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StageView {
  readonly name: string
  readonly kind: string
  /** The group the view shows it in (sweep label, or `depth N`). */
  readonly group: string
  /** The name without the group's `[label]` suffix. */
  readonly shortName: string
  readonly depth: number
  readonly deps: ReadonlyArray<string>
  readonly planned: "run" | "cached"
  readonly reasons: ReadonlyArray<string>
  readonly expectedMs: number | undefined
  readonly status: StageStatus
  readonly startedAt: number | undefined
  readonly durationMs: number | undefined
  readonly savedMs: number | undefined
  readonly progress: ProgressView | undefined
  readonly metrics: Readonly<Record<string, number>> | undefined
  readonly logs: ReadonlyArray<LogLine>
  readonly error: { readonly message: string; readonly cause?: string; readonly logPath?: string } | undefined
  /** Set while and after the stage runs as a cluster job. */
  readonly job: JobView | undefined
}

/**
 * A group of stages shown together.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupView {
  readonly label: string
  readonly stages: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SummaryView {
  readonly ran: number
  readonly cached: number
  readonly failed: number
  /** Stages stopped while running (not in `failed`). */
  readonly interruptedStages: number
  readonly skipped: number
  readonly durationMs: number
  readonly savedMs: number
  readonly interrupted: boolean
}

/**
 * A table to show under the summary: header and rows of cells, with the
 * columns to right-align.
 *
 * @since 0.1.0
 * @category models
 */
export interface TableData {
  readonly title?: string
  readonly header: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  readonly numeric: ReadonlyArray<boolean>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface UiState {
  readonly pipeline: string
  readonly backend: string | undefined
  readonly startedAt: number | undefined
  /** The view's clock: the latest event time or tick. */
  readonly now: number
  /** Grouping used: by sweep label (`branch`) or DAG depth. */
  readonly grouping: "branch" | "depth"
  readonly groups: ReadonlyArray<GroupView>
  /** Stage names in display order (groups contiguous). */
  readonly order: ReadonlyArray<string>
  readonly stages: Readonly<Record<string, StageView>>
  /** The stage whose log the pane shows and whose line is highlighted. */
  readonly focus: string | undefined
  readonly showLogs: boolean
  /** `q` was pressed: waiting for the engine to wind down. */
  readonly stopping: boolean
  /** Most stages seen running at once (the parallelism when the plan does not give `jobs`). */
  readonly maxRunning: number
  /** Stages run at once, from the plan event. */
  readonly jobs: number | undefined
  readonly summary: SummaryView | undefined
  readonly results: TableData | undefined
}

/**
 * The view's own actions, besides engine events.
 *
 * @since 0.1.0
 * @category models
 */
export type UiAction =
  | EngineEvent
  | { readonly type: "tick"; readonly now: number }
  | { readonly type: "focus"; readonly delta: 1 | -1 }
  | { readonly type: "toggleLogs" }
  | { readonly type: "stopping" }
  | { readonly type: "results"; readonly table: TableData }

/**
 * The state before any event.
 *
 * @since 0.1.0
 * @category constructors
 */
export const initialState = (now = 0): UiState => ({
  pipeline: "",
  backend: undefined,
  startedAt: undefined,
  now,
  grouping: "depth",
  groups: [],
  order: [],
  stages: {},
  focus: undefined,
  showLogs: true,
  stopping: false,
  maxRunning: 0,
  jobs: undefined,
  summary: undefined,
  results: undefined
})

/**
 * Depth of each stage in the DAG: 0 for stages without dependencies inside
 * the plan, else one more than the deepest dependency.
 *
 * @since 0.1.0
 * @category utils
 */
export const depths = (stages: ReadonlyArray<Pick<PlannedStage, "stage" | "deps">>): ReadonlyMap<string, number> => {
  const byName = new Map(stages.map((s) => [s.stage, s]))
  const out = new Map<string, number>()
  const visiting = new Set<string>()
  const depthOf = (name: string): number => {
    const known = out.get(name)
    if (known !== undefined) return known
    const s = byName.get(name)
    if (s === undefined || visiting.has(name)) return -1
    visiting.add(name)
    const d = Math.max(-1, ...s.deps.map(depthOf)) + 1
    visiting.delete(name)
    out.set(name, d)
    return d
  }
  for (const s of stages) depthOf(s.stage)
  return out
}

/** The sweep label part of an instance name: `features[dim=4]` -> `features`. */
const shortNameOf = (name: string, group: string | undefined): string =>
  group !== undefined && name.endsWith(`[${group}]`) ? name.slice(0, -group.length - 2) : name

/** Label of the group of stages outside every sweep, in branch grouping. */
const COMMON = "common"

const newStage = (p: PlannedStage, depth: number, grouping: "branch" | "depth"): StageView => ({
  name: p.stage,
  kind: p.kind,
  group: grouping === "branch" ? p.group ?? COMMON : `depth ${depth}`,
  shortName: shortNameOf(p.stage, p.group),
  depth,
  deps: p.deps,
  planned: p.action,
  reasons: p.reasons,
  expectedMs: p.expectedMs,
  status: "queued",
  startedAt: undefined,
  durationMs: undefined,
  savedMs: undefined,
  progress: undefined,
  metrics: undefined,
  logs: [],
  error: undefined,
  job: undefined
})

/**
 * Group planned stages: by sweep label when the plan has any (stages
 * outside sweeps form the `common` group, first), else by DAG depth. Within
 * a group, stages keep DAG depth order, then plan order.
 *
 * @since 0.1.0
 * @category utils
 */
export const groupStages = (
  planned: ReadonlyArray<PlannedStage>
): { readonly grouping: "branch" | "depth"; readonly groups: ReadonlyArray<GroupView>; readonly stages: Record<string, StageView> } => {
  const grouping = planned.some((p) => p.group !== undefined) ? "branch" : "depth"
  const d = depths(planned)
  const stages: Record<string, StageView> = {}
  const labels: Array<string> = []
  const members = new Map<string, Array<StageView>>()
  for (const p of planned) {
    const s = newStage(p, d.get(p.stage) ?? 0, grouping)
    stages[s.name] = s
    if (!members.has(s.group)) {
      members.set(s.group, [])
      labels.push(s.group)
    }
    members.get(s.group)!.push(s)
  }
  if (grouping === "branch") labels.sort((a, b) => (a === COMMON ? -1 : b === COMMON ? 1 : 0))
  else labels.sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)))
  const groups = labels.map((label) => ({
    label,
    stages: [...members.get(label)!].sort((a, b) => a.depth - b.depth).map((s) => s.name)
  }))
  return { grouping, groups, stages }
}

const isFinal = (s: StageStatus): boolean => s !== "queued" && s !== "running"

/**
 * The line of a failure's cause worth showing: its first line, unless it
 * only repeats the message (`Error: boom` under `boom`).
 *
 * @since 0.1.0
 * @category utils
 */
export const causeLine = (error: StageView["error"]): string | undefined => {
  const first = error?.cause?.split("\n").find((l) => l.trim() !== "")?.trim()
  return first === undefined || first.endsWith(error!.message) ? undefined : first
}

/**
 * The status a view shows.
 *
 * @since 0.1.0
 * @category utils
 */
export const displayStatus = (s: Pick<StageView, "status">): DisplayStatus => s.status

const running = (state: UiState): ReadonlyArray<string> => state.order.filter((n) => state.stages[n]!.status === "running")

/**
 * The stage the view focuses: the chosen one while it runs; else the first
 * running stage; else the chosen one (a finished stage keeps the log pane);
 * else the latest stage to fail.
 *
 * @since 0.1.0
 * @category utils
 */
export const focusedStage = (state: UiState): StageView | undefined => {
  const chosen = state.focus === undefined ? undefined : state.stages[state.focus]
  if (chosen?.status === "running") return chosen
  const first = running(state)[0]
  if (first !== undefined) return state.stages[first]
  if (chosen !== undefined) return chosen
  const failed = state.order.filter((n) => state.stages[n]!.status === "failed")
  return failed.length ? state.stages[failed[failed.length - 1]!] : undefined
}

const withStage = (state: UiState, name: string, f: (s: StageView) => StageView): UiState => {
  const s = state.stages[name]
  if (s !== undefined) return { ...state, stages: { ...state.stages, [name]: f(s) } }
  // An event for a stage the plan did not list: show it in its own group.
  const planned: PlannedStage = { stage: name, key: "", kind: "", deps: [], action: "run", reasons: [] }
  const fresh = f({ ...newStage(planned, 0, state.grouping), group: "other" })
  const groups = state.groups.some((g) => g.label === "other")
    ? state.groups.map((g) => (g.label === "other" ? { ...g, stages: [...g.stages, name] } : g))
    : [...state.groups, { label: "other", stages: [name] }]
  return { ...state, groups, order: groups.flatMap((g) => g.stages), stages: { ...state.stages, [name]: fresh } }
}

const clockAt = (state: UiState, time: number): UiState => (time > state.now ? { ...state, now: time } : state)

/** Fold a stage event's job fields into the stage's job (a new job id starts afresh). */
const jobOf = (prev: JobView | undefined, e: Extract<EngineEvent, { type: "stage" }>): JobView | undefined => {
  if (e.jobId === undefined) return e.status === "running" ? undefined : prev
  const same = prev?.id === e.jobId ? prev : undefined
  const state = e.jobState ?? same?.state
  return {
    executor: e.executor ?? same?.executor ?? "job",
    id: e.jobId,
    attempt: e.attempt ?? same?.attempt,
    state,
    node: e.node ?? same?.node,
    queueWaitMs: e.queueWaitMs ?? same?.queueWaitMs,
    seenAt: same?.seenAt ?? e.time,
    runningSince: same?.runningSince ?? (state === "RUNNING" ? e.time : undefined)
  }
}

/**
 * Apply one action.
 *
 * @since 0.1.0
 * @category combinators
 */
export const reduce = (state: UiState, action: UiAction): UiState => {
  switch (action.type) {
    case "plan": {
      const { grouping, groups, stages } = groupStages(action.stages)
      return clockAt(
        {
          ...state,
          pipeline: action.pipeline,
          backend: action.backend,
          jobs: action.jobs,
          startedAt: action.time,
          grouping,
          groups,
          order: groups.flatMap((g) => g.stages),
          stages,
          summary: undefined
        },
        action.time
      )
    }
    case "stage": {
      const next = withStage(clockAt(state, action.time), action.stage, (s) => ({
        ...s,
        status: action.status,
        // A cluster job sends `running` again on each change of its state: the stage started at the first.
        startedAt: action.status === "running" && s.status !== "running" ? action.time : s.startedAt,
        durationMs: action.durationMs ?? (isFinal(action.status) && s.startedAt !== undefined ? action.time - s.startedAt : s.durationMs),
        savedMs: action.savedMs ?? s.savedMs,
        error: action.error ?? (action.status === "running" ? undefined : s.error),
        job: jobOf(s.job, action)
      }))
      const nRunning = running(next).length
      return nRunning > next.maxRunning ? { ...next, maxRunning: nRunning } : next
    }
    case "progress":
      return withStage(clockAt(state, action.time), action.stage, (s) => ({
        ...s,
        progress:
          s.progress === undefined || action.step < s.progress.step
            ? { step: action.step, total: action.total, time: action.time, firstStep: action.step, firstTime: action.time }
            : { ...s.progress, step: action.step, total: action.total, time: action.time },
        metrics: action.metrics === undefined ? s.metrics : { ...s.metrics, ...action.metrics }
      }))
    case "log":
      return withStage(clockAt(state, action.time), action.stage, (s) => ({
        ...s,
        logs: [...s.logs.slice(-(LOG_LINES_KEPT - 1)), { level: action.level, line: action.line, time: action.time }]
      }))
    case "summary":
      // A log from before `interruptedStages` existed counts none.
      return clockAt({ ...state, summary: { ...action, interruptedStages: action.interruptedStages ?? 0 } }, action.time)
    case "tick":
      return clockAt(state, action.now)
    case "focus": {
      const names = running(state)
      if (names.length === 0) return state
      const current = focusedStage(state)
      const i = current === undefined ? -1 : names.indexOf(current.name)
      const j = i < 0 ? (action.delta > 0 ? 0 : names.length - 1) : (i + action.delta + names.length) % names.length
      return { ...state, focus: names[j] }
    }
    case "toggleLogs":
      return { ...state, showLogs: !state.showLogs }
    case "stopping":
      return { ...state, stopping: true }
    case "results":
      return { ...state, results: action.table }
  }
}

/**
 * Steps per second of a running stage, from its first to its latest
 * progress report; undefined until two reports differ.
 *
 * @since 0.1.0
 * @category utils
 */
export const stageRate = (s: StageView): number | undefined => {
  const p = s.progress
  if (p === undefined || p.time <= p.firstTime || p.step <= p.firstStep) return undefined
  return ((p.step - p.firstStep) * 1000) / (p.time - p.firstTime)
}

/**
 * Milliseconds a running stage has been running.
 *
 * @since 0.1.0
 * @category utils
 */
export const stageElapsed = (s: StageView, now: number): number => (s.startedAt === undefined ? 0 : Math.max(0, now - s.startedAt))

/**
 * Estimated milliseconds left for a running stage: remaining steps at the
 * measured rate; else the expected duration less the time spent; else
 * undefined.
 *
 * @since 0.1.0
 * @category utils
 */
export const stageEta = (s: StageView, now: number): number | undefined => {
  const rate = stageRate(s)
  const p = s.progress
  if (rate !== undefined && p !== undefined) return Math.max(0, ((p.total - p.step) * 1000) / rate - Math.max(0, now - p.time))
  if (s.expectedMs !== undefined) return Math.max(0, s.expectedMs - stageElapsed(s, now))
  return undefined
}

/**
 * Fraction done of one stage (final stages 1, running ones by step).
 *
 * @since 0.1.0
 * @category utils
 */
export const stageFraction = (s: StageView): number => {
  if (isFinal(s.status)) return 1
  if (s.status === "running" && s.progress !== undefined && s.progress.total > 0) return Math.min(1, s.progress.step / s.progress.total)
  return 0
}

/**
 * Counts of stages by displayed status.
 *
 * @since 0.1.0
 * @category utils
 */
export const countStatuses = (stages: ReadonlyArray<StageView>): Readonly<Record<DisplayStatus, number>> => {
  const out: Record<DisplayStatus, number> = { queued: 0, planned: 0, running: 0, cached: 0, ran: 0, failed: 0, skipped: 0, interrupted: 0 }
  for (const s of stages) out[displayStatus(s)]++
  return out
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Overall {
  /** Stages in a final state, and all stages. */
  readonly done: number
  readonly total: number
  /** Work done, weighting stages by their expected duration (cached stages weigh nothing). */
  readonly fraction: number
  readonly elapsedMs: number
  /** Estimated time left; undefined when nothing is known about any unfinished stage. */
  readonly remainingMs: number | undefined
  /** False when some unfinished stage has no estimate (the time left is a lower bound). */
  readonly remainingExact: boolean
}

/**
 * The overall bar: stages done and time left. A stage's weight is its
 * `expectedMs` (the plan's estimate from earlier runs, as `clipcl plan`
 * shows it), else the mean duration of stages of its kind that ran in this
 * run, else the mean of the known weights. Time left is the expected wall
 * time of the unfinished stages as the plan's estimator computes it
 * (`wallTime` of `src/scheduler/estimate.ts`): running stages first with
 * their own ETA, queued ones after their inputs, at `--jobs` stages at
 * once.
 *
 * @since 0.1.0
 * @category utils
 */
export const overall = (state: UiState): Overall => {
  const all = state.order.map((n) => state.stages[n]!)
  const done = all.filter((s) => isFinal(s.status)).length
  const ranByKind = new Map<string, Array<number>>()
  for (const s of all) {
    if (s.status !== "ran" || s.durationMs === undefined) continue
    const xs = ranByKind.get(s.kind)
    if (xs === undefined) ranByKind.set(s.kind, [s.durationMs])
    else xs.push(s.durationMs)
  }
  const mean = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0) / xs.length
  const estimate = (s: StageView): number | undefined => {
    if (s.expectedMs !== undefined) return s.expectedMs
    const r = ranByKind.get(s.kind)
    return r === undefined ? undefined : mean(r)
  }
  const work = all.filter((s) => !(s.status === "cached" || (s.planned === "cached" && s.status === "queued")))
  const known = work.map(estimate).filter((x): x is number => x !== undefined)
  const fallback = known.length ? Math.max(1, mean(known)) : 1
  let totalW = 0
  let doneW = 0
  let anyKnown = false
  // Unfinished stages as tasks: running ones first (they hold slots now), then queued ones in
  // depth order (a topological order), each after its unfinished inputs.
  const open: Array<StageView> = []
  for (const s of work) {
    const est = estimate(s)
    const w = s.status === "ran" ? s.durationMs ?? est ?? fallback : est ?? fallback
    totalW += w
    doneW += w * stageFraction(s)
    if (!isFinal(s.status)) open.push(s)
  }
  open.sort((a, b) => (a.status === "running" ? 0 : 1) - (b.status === "running" ? 0 : 1) || a.depth - b.depth)
  const at = new Map(open.map((s, j) => [s.name, j]))
  const tasks: Array<Task> = open.map((s) => {
    const ms = s.status === "running" ? stageEta(s, state.now) : estimate(s)
    if (ms !== undefined) anyKnown = true
    return { ms, deps: s.status === "running" ? [] : s.deps.flatMap((d) => (at.has(d) ? [at.get(d)!] : [])) }
  })
  const left = wallTime(tasks, state.jobs ?? Math.max(1, state.maxRunning))
  const elapsedMs = state.startedAt === undefined ? 0 : Math.max(0, (state.summary ? state.startedAt + state.summary.durationMs : state.now) - state.startedAt)
  const fraction = all.length === 0 ? 0 : totalW === 0 ? done / all.length : doneW / totalW
  return {
    done,
    total: all.length,
    fraction: done === all.length && all.length > 0 ? 1 : Math.min(fraction, 0.999),
    elapsedMs,
    remainingMs: anyKnown ? left.ms : undefined,
    remainingExact: left.unknown === 0
  }
}

/**
 * A state built from a list of actions (tests, replays of an NDJSON log).
 *
 * @since 0.1.0
 * @category constructors
 */
export const replay = (actions: Iterable<UiAction>, from: UiState = initialState()): UiState => {
  let s = from
  for (const a of actions) s = reduce(s, a)
  return s
}
