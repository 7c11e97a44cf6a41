/**
 * Time estimates from run records, pure: how long a stage is expected to
 * take (from earlier successful runs of the same stage kind), and how long a
 * plan is expected to take at `--jobs N` (the critical path, and a
 * simulation of the scheduler's slots).
 *
 * A stage's estimate is the median duration of the latest
 * {@link SAMPLES_USED} earlier runs of its kind in the first tier that has
 * any:
 * 1. `same params`: identical canonical parameters;
 * 2. `same settings`: the same parameter shape and the same non-numeric
 *    values (strings, booleans, nulls), numbers free: a sweep over a
 *    learning rate or an alpha;
 * 3. `same shape`: the same parameter names and value types.
 * Without such runs there is no estimate (never a guess).
 *
 * @since 0.1.0
 */
import { canonicalJsonUnsafe } from "./hash.js"

/**
 * One earlier successful run of a stage kind: its canonical (encoded)
 * params and how long it took.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sample {
  readonly params: unknown
  readonly ms: number
}

/**
 * How an estimate was made.
 *
 * @since 0.1.0
 * @category models
 */
export type Basis = "same params" | "same settings" | "same shape"

/**
 * @since 0.1.0
 * @category models
 */
export interface Estimate {
  readonly ms: number
  readonly basis: Basis
  /** Runs the median was taken over. */
  readonly runs: number
}

/**
 * Runs per tier that the median is taken over (the latest ones).
 *
 * @since 0.1.0
 * @category models
 */
export const SAMPLES_USED = 5

const mapLeaves = (v: unknown, leaf: (x: unknown) => unknown): unknown => {
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, leaf))
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(v)) out[k] = mapLeaves((v as Record<string, unknown>)[k], leaf)
    return out
  }
  return leaf(v)
}

const text = (v: unknown): string => {
  try {
    return canonicalJsonUnsafe(v)
  } catch {
    return JSON.stringify(String(v))
  }
}

/**
 * The parameter shape: names and value types (`{"lr":"number"}`), as text.
 *
 * @since 0.1.0
 * @category utils
 */
export const paramsShape = (params: unknown): string => text(mapLeaves(params, (x) => (x === null ? "null" : typeof x)))

/**
 * The shape with non-numeric values kept (`{"lr":"number","method":"FT"}`), as text.
 *
 * @since 0.1.0
 * @category utils
 */
export const paramsSettings = (params: unknown): string => text(mapLeaves(params, (x) => (typeof x === "number" ? "#number" : x)))

/**
 * The median (mean of the middle two for an even count).
 *
 * @since 0.1.0
 * @category utils
 */
export const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * Precomputed keys of a kind's samples, for estimating many stages of it.
 *
 * @since 0.1.0
 * @category models
 */
export interface History {
  readonly exact: ReadonlyMap<string, ReadonlyArray<number>>
  readonly settings: ReadonlyMap<string, ReadonlyArray<number>>
  readonly shape: ReadonlyMap<string, ReadonlyArray<number>>
}

/**
 * Index samples (newest first) by params, settings and shape.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeHistory = (samples: ReadonlyArray<Sample>): History => {
  const exact = new Map<string, Array<number>>()
  const settings = new Map<string, Array<number>>()
  const shape = new Map<string, Array<number>>()
  const push = (m: Map<string, Array<number>>, k: string, ms: number) => {
    const xs = m.get(k)
    if (xs === undefined) m.set(k, [ms])
    else if (xs.length < SAMPLES_USED) xs.push(ms)
  }
  for (const s of samples) {
    if (!Number.isFinite(s.ms) || s.ms < 0) continue
    push(exact, text(s.params), s.ms)
    push(settings, paramsSettings(s.params), s.ms)
    push(shape, paramsShape(s.params), s.ms)
  }
  return { exact, settings, shape }
}

/**
 * The expected duration of a stage with these params, or undefined without history.
 *
 * @since 0.1.0
 * @category utils
 */
export const estimateDuration = (history: History, params: unknown): Estimate | undefined => {
  const tiers: ReadonlyArray<readonly [Basis, ReadonlyMap<string, ReadonlyArray<number>>, string]> = [
    ["same params", history.exact, text(params)],
    ["same settings", history.settings, paramsSettings(params)],
    ["same shape", history.shape, paramsShape(params)]
  ]
  for (const [basis, map, key] of tiers) {
    const xs = map.get(key)
    if (xs !== undefined && xs.length > 0) return { ms: median(xs), basis, runs: xs.length }
  }
  return undefined
}

/**
 * A stage to schedule in a wall-time estimate. `deps` index into the same
 * list and come earlier (topological order).
 *
 * @since 0.1.0
 * @category models
 */
export interface Task {
  /** Expected milliseconds; undefined: unknown (counted as 0, and reported). */
  readonly ms: number | undefined
  readonly deps: ReadonlyArray<number>
  readonly resources?: Readonly<Record<string, number>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface WallTime {
  /** Expected wall time at `jobs` stages at once. */
  readonly ms: number
  /** Length of the longest chain of dependent tasks (the bound no parallelism beats). */
  readonly criticalMs: number
  /** The tasks of that chain, first to last. */
  readonly criticalPath: ReadonlyArray<number>
  /** Sum over all tasks (the time at one job). */
  readonly totalMs: number
  /** Tasks without an estimate (counted as 0: the figures are lower bounds when > 0). */
  readonly unknown: number
}

/**
 * Expected wall time of tasks run as the scheduler runs them: FIFO in the
 * order they become ready (list order at the start; dependents of tasks
 * that finish together in the order those started), a task starts when its inputs are done, one of `jobs` slots is
 * free and all its resources are (a task waiting for a resource holds no
 * slot and does not hold back others).
 *
 * @since 0.1.0
 * @category utils
 */
export const wallTime = (tasks: ReadonlyArray<Task>, jobs: number, capacity: Readonly<Record<string, number>> = {}): WallTime => {
  const n = tasks.length
  const dur = tasks.map((t) => t.ms ?? 0)
  // Critical path: longest finish time along dependencies; on a tie (stages
  // that take ~0ms) the chain with more stages, so the path names the chain.
  const finish = new Float64Array(n)
  const depth = new Int32Array(n)
  const via = new Int32Array(n).fill(-1)
  const later = (a: number, b: number) => finish[a]! > finish[b]! || (finish[a] === finish[b] && depth[a]! > depth[b]!)
  let end = -1
  for (let i = 0; i < n; i++) {
    for (const d of tasks[i]!.deps) if (via[i]! < 0 || later(d, via[i]!)) via[i] = d
    const from = via[i]!
    finish[i] = (from < 0 ? 0 : finish[from]!) + dur[i]!
    depth[i] = from < 0 ? 1 : depth[from]! + 1
    if (end < 0 || later(i, end)) end = i
  }
  const criticalPath: Array<number> = []
  for (let i = end; i >= 0; i = via[i]!) criticalPath.unshift(i)
  // Simulation of the slots.
  const waiting = tasks.map((t) => t.deps.length)
  const dependents: Array<Array<number>> = tasks.map(() => [])
  tasks.forEach((t, i) => t.deps.forEach((d) => dependents[d]!.push(i)))
  const free: Record<string, number> = { ...capacity }
  for (const t of tasks) for (const r of Object.keys(t.resources ?? {})) free[r] ??= 1
  const ready: Array<number> = []
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i)
  let running: Array<{ readonly i: number; readonly end: number }> = []
  let now = 0
  let done = 0
  /** `ready[head..]` waits; taking from the head is O(1), so 10,000 ready tasks stay linear. */
  let head = 0
  while (done < n) {
    for (let k = head; k < ready.length && running.length < jobs; ) {
      const i = ready[k]!
      const res = tasks[i]!.resources ?? {}
      if (Object.entries(res).every(([r, a]) => free[r]! >= a)) {
        for (const [r, a] of Object.entries(res)) free[r]! -= a
        if (k === head) head = ++k
        else ready.splice(k, 1)
        running.push({ i, end: now + dur[i]! })
      } else k++
    }
    if (running.length === 0) break // cannot happen for a valid DAG within capacity
    now = Math.min(...running.map((r) => r.end))
    const finished = running.filter((r) => r.end === now)
    running = running.filter((r) => r.end !== now)
    for (const { i } of finished) {
      done++
      for (const [r, a] of Object.entries(tasks[i]!.resources ?? {})) free[r]! += a
      for (const j of dependents[i]!) if (--waiting[j]! === 0) ready.push(j)
    }
  }
  return {
    ms: now,
    criticalMs: end < 0 ? 0 : finish[end]!,
    criticalPath: end < 0 ? [] : criticalPath,
    totalMs: dur.reduce((a, b) => a + b, 0),
    unknown: tasks.filter((t) => t.ms === undefined).length
  }
}
