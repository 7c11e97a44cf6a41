/**
 * Result rows: the one-line-per-method (or per sweep setting) summary that
 * `clipcl results` prints, built from evaluation tables.
 *
 * For each (method, setting) group with last session T:
 * - `targetAcc` = top-1 on the `"target"` task after session T; without a
 *   target task, the mean top-1 over the learned `"session"` tasks (last
 *   accuracy).
 * - `zeroShotAcc` = mean top-1 over the `"zeroshot"` tasks after session T.
 * - `zeroShotDrop = zeroShotAcc(pretrained) - zeroShotAcc(method)` over the
 *   same held-out tasks (positive = forgot). The pretrained reference is the
 *   group's own session -1 evaluation if it has one, else the group of the
 *   `pretrainedMethod` (same setting, else its `{}` setting, else its only
 *   setting).
 * - `retrievalR{1,5,10}` = mean over retrieval tasks of
 *   `(i2t R@K + t2i R@K) / 2` after session T; the directions are kept as
 *   `i2tR*` and `t2iR*`.
 * - `bwt`, `forgetting`, `fwt`, `transfer`, `averageAccuracy`,
 *   `lastAccuracy`, `avg`, `last`: `continual.ts` on the accuracy matrix
 *   `acc[session][taskIndex]` (top-1 of the `"session"` tasks, sessions
 *   0..T; session -1 gives the pretrained row for FWT). `null` when some
 *   session 0..T has no evaluation of the session tasks at all.
 * - `utZsMean` = (targetAcc + zeroShotAcc) / 2, the paper's summary.
 * All figures are fractions; `null` where the tables hold nothing to compute
 * them from.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { canonicalJsonText } from "../formats/canonicalJson.js"
import { continualSummary, type AccuracyMatrix } from "./continual.js"
import { EvalTableError, MetricInputError } from "./EvalError.js"
import { MetricName, type EvalRecord, type EvalTable } from "./EvalTable.js"

/**
 * One line of the results table. External checks rely on the names and
 * meaning of `method`, `setting`, `targetAcc`, `zeroShotAcc`,
 * `zeroShotDrop`, `retrievalR1`, `bwt` and `forgetting`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResultRow {
  readonly method: string
  readonly setting: Readonly<Record<string, unknown>>
  readonly targetAcc: number | null
  readonly zeroShotAcc: number | null
  readonly zeroShotDrop: number | null
  readonly retrievalR1: number | null
  readonly retrievalR5: number | null
  readonly retrievalR10: number | null
  readonly bwt: number | null
  readonly forgetting: number | null
  /** (targetAcc + zeroShotAcc) / 2. */
  readonly utZsMean: number | null
  readonly targetTop5: number | null
  readonly i2tR1: number | null
  readonly i2tR5: number | null
  readonly i2tR10: number | null
  readonly t2iR1: number | null
  readonly t2iR5: number | null
  readonly t2iR10: number | null
  readonly fwt: number | null
  readonly transfer: number | null
  readonly averageAccuracy: number | null
  readonly lastAccuracy: number | null
  readonly avg: number | null
  readonly last: number | null
  /** Sessions learned (T + 1); 0 for a model evaluated before any session only. */
  readonly sessions: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ResultOptions {
  /** Method name of the reference model for `zeroShotDrop`; default `"pretrained"`. */
  readonly pretrainedMethod?: string
  /** Source name for errors; default `"results"`. */
  readonly source?: string
}

/**
 * Canonical JSON of a setting (`formats/canonicalJson.ts`: sorted keys), so
 * `{a, b}` and `{b, a}` are the same group.
 *
 * @since 0.1.0
 * @category utils
 */
export const settingKey = (setting: unknown): string => canonicalJsonText(setting)

interface Group {
  readonly method: string
  readonly setting: Readonly<Record<string, unknown>>
  readonly records: EvalRecord[]
}

/** One table or many, as one list of records. */
const flatten = (tables: ReadonlyArray<EvalTable> | EvalTable): EvalTable =>
  tables.length > 0 && Array.isArray(tables[0]) ? (tables as ReadonlyArray<EvalTable>).flat() : (tables as EvalTable)

const mean = (xs: ReadonlyArray<number>): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length)

/** Records grouped by (method, setting), in order of first appearance; contradictory duplicates rejected. */
const groupRecords = (records: EvalTable, source: string): Group[] => {
  const groups = new Map<string, Group>()
  const seen = new Map<string, number | null>()
  records.forEach((r, i) => {
    const gk = JSON.stringify([r.method, settingKey(r.setting)])
    const id = JSON.stringify([gk, r.session, r.task, r.role, r.metric])
    if (seen.has(id)) {
      if (seen.get(id) !== r.value) {
        throw new EvalTableError({
          source,
          row: i,
          field: "value",
          reason: `${r.method} ${settingKey(r.setting)} session ${r.session} ${r.task} ${r.metric} is both ${seen.get(id)} and ${r.value}`,
        })
      }
      return
    }
    seen.set(id, r.value)
    let g = groups.get(gk)
    if (g === undefined) {
      g = { method: r.method, setting: r.setting, records: [] }
      groups.set(gk, g)
    }
    g.records.push(r)
  })
  return [...groups.values()]
}

const lastSession = (g: Group): number => g.records.reduce((m, r) => Math.max(m, r.session), -1)

const values = (g: Group, session: number, role: string, metric: string): Map<string, number> => {
  const out = new Map<string, number>()
  for (const r of g.records) {
    if (r.session === session && r.role === role && r.metric === metric && r.value !== null) out.set(r.task, r.value)
  }
  return out
}

const accuracyMatrix = (g: Group, T: number): { acc: AccuracyMatrix; pretrained?: Array<number | null> } | undefined => {
  const cells = g.records.filter((r) => r.role === "session" && r.metric === MetricName.top1)
  if (cells.length === 0 || T < 0) return undefined
  // A session never evaluated on the session tasks (a pipeline that only
  // evaluates after its last session) leaves no matrix: figures are null.
  // A partly evaluated session is an inconsistency and fails in validation.
  const evaluated = new Set(cells.map((r) => r.session))
  for (let t = 0; t <= T; t++) if (!evaluated.has(t)) return undefined
  const n = cells.reduce((m, r) => Math.max(m, r.taskIndex! + 1), T + 1)
  const acc = Array.from({ length: T + 1 }, () => Array<number | null>(n).fill(null))
  const pre = Array<number | null>(n).fill(null)
  for (const r of cells) {
    if (r.session === -1) pre[r.taskIndex!] = r.value
    else acc[r.session][r.taskIndex!] = r.value
  }
  const hasPre = cells.some((r) => r.session === -1)
  return hasPre ? { acc, pretrained: pre } : { acc }
}

/** The zero-shot accuracies of the reference model, by task. */
const referenceZeroShot = (g: Group, all: ReadonlyArray<Group>, pretrainedMethod: string): Map<string, number> | undefined => {
  const own = values(g, -1, "zeroshot", MetricName.top1)
  if (own.size > 0) return own
  const refs = all.filter((h) => h.method === pretrainedMethod)
  const ref =
    refs.find((h) => settingKey(h.setting) === settingKey(g.setting)) ??
    refs.find((h) => Object.keys(h.setting).length === 0) ??
    (refs.length === 1 ? refs[0] : undefined)
  if (ref === undefined) return undefined
  return values(ref, lastSession(ref), "zeroshot", MetricName.top1)
}

const rowOf = (g: Group, all: ReadonlyArray<Group>, opts: Required<ResultOptions>): ResultRow => {
  const T = lastSession(g)
  const at = (role: string, metric: string) => [...values(g, T, role, metric).values()]
  const learned = T >= 0 ? [...values(g, T, "session", MetricName.top1).entries()] : []
  const sessionIndex = new Map(g.records.filter((r) => r.role === "session").map((r) => [r.task, r.taskIndex!]))
  const learnedAcc = learned.filter(([task]) => (sessionIndex.get(task) ?? Infinity) <= T).map(([, v]) => v)
  const targetAcc = mean(at("target", MetricName.top1)) ?? mean(learnedAcc)
  const zs = values(g, T, "zeroshot", MetricName.top1)
  const zeroShotAcc = mean([...zs.values()])
  const ref = zs.size > 0 ? referenceZeroShot(g, all, opts.pretrainedMethod) : undefined
  const refVals = ref === undefined ? [] : [...zs.keys()].map((t) => ref.get(t))
  const zeroShotDrop =
    zeroShotAcc !== null && refVals.length > 0 && refVals.every((v) => v !== undefined) ? mean(refVals as number[])! - zeroShotAcc : null

  const dir = (metric: string) => mean(at("retrieval", metric))
  const both = (a: number | null, b: number | null) => (a === null || b === null ? (a ?? b) : (a + b) / 2)
  const [i2tR1, i2tR5, i2tR10] = [dir(MetricName.i2tR1), dir(MetricName.i2tR5), dir(MetricName.i2tR10)]
  const [t2iR1, t2iR5, t2iR10] = [dir(MetricName.t2iR1), dir(MetricName.t2iR5), dir(MetricName.t2iR10)]

  const m = accuracyMatrix(g, T)
  let summary: ReturnType<typeof continualSummary> | undefined
  if (m !== undefined) {
    try {
      summary = continualSummary(m.acc, m.pretrained)
    } catch (e) {
      if (e instanceof MetricInputError) {
        throw new EvalTableError({
          source: opts.source,
          field: e.field,
          reason: `accuracy matrix of ${g.method} ${settingKey(g.setting)}: ${e.reason}`,
        })
      }
      throw e
    }
  }
  return {
    method: g.method,
    setting: g.setting,
    targetAcc,
    zeroShotAcc,
    zeroShotDrop,
    retrievalR1: both(i2tR1, t2iR1),
    retrievalR5: both(i2tR5, t2iR5),
    retrievalR10: both(i2tR10, t2iR10),
    bwt: summary?.bwt ?? null,
    forgetting: summary?.forgetting ?? null,
    utZsMean: targetAcc !== null && zeroShotAcc !== null ? (targetAcc + zeroShotAcc) / 2 : null,
    targetTop5: mean(at("target", MetricName.top5)),
    i2tR1,
    i2tR5,
    i2tR10,
    t2iR1,
    t2iR5,
    t2iR10,
    fwt: summary?.fwt ?? null,
    transfer: summary?.transfer ?? null,
    averageAccuracy: summary?.averageAccuracy ?? null,
    lastAccuracy: summary?.lastAccuracy ?? null,
    avg: summary?.avg ?? null,
    last: summary?.last ?? null,
    sessions: T + 1,
  }
}

/**
 * One result row per (method, setting), in order of first appearance.
 *
 * @throws EvalTableError on contradictory duplicate records or an accuracy
 *   matrix with a learned task left unevaluated.
 * @since 0.1.0
 * @category constructors
 */
export const resultRowsSync = (tables: ReadonlyArray<EvalTable> | EvalTable, options: ResultOptions = {}): ReadonlyArray<ResultRow> => {
  const opts: Required<ResultOptions> = { pretrainedMethod: options.pretrainedMethod ?? "pretrained", source: options.source ?? "results" }
  const records = flatten(tables)
  const groups = groupRecords(records, opts.source)
  return groups.map((g) => rowOf(g, groups, opts))
}

/**
 * {@link resultRowsSync} as an Effect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resultRows = (
  tables: ReadonlyArray<EvalTable> | EvalTable,
  options: ResultOptions = {},
): Effect.Effect<ReadonlyArray<ResultRow>, EvalTableError> =>
  Effect.try({
    try: () => resultRowsSync(tables, options),
    catch: (e) => (e instanceof EvalTableError ? e : new EvalTableError({ source: options.source ?? "results", reason: String(e) })),
  })

/**
 * Per-session points of target and zero-shot accuracy for one group, from
 * session -1 (pretrained, when evaluated) to T: the data of the curves plot.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionPoint {
  readonly method: string
  readonly setting: Readonly<Record<string, unknown>>
  readonly session: number
  readonly targetAcc: number | null
  readonly zeroShotAcc: number | null
}

/**
 * The per-session curve points of every group (same definitions as the
 * result row, at each session instead of the last).
 *
 * @since 0.1.0
 * @category constructors
 */
export const sessionPoints = (tables: ReadonlyArray<EvalTable> | EvalTable, options: ResultOptions = {}): ReadonlyArray<SessionPoint> => {
  const records = flatten(tables)
  const out: SessionPoint[] = []
  for (const g of groupRecords(records, options.source ?? "results")) {
    const sessionIndex = new Map(g.records.filter((r) => r.role === "session").map((r) => [r.task, r.taskIndex!]))
    for (const t of [...new Set(g.records.map((r) => r.session))].sort((a, b) => a - b)) {
      const target = [...values(g, t, "target", MetricName.top1).values()]
      const learned = [...values(g, t, "session", MetricName.top1).entries()].filter(([task]) => (sessionIndex.get(task) ?? Infinity) <= t)
      out.push({
        method: g.method,
        setting: g.setting,
        session: t,
        targetAcc: mean(target) ?? (t >= 0 ? mean(learned.map(([, v]) => v)) : null),
        zeroShotAcc: mean([...values(g, t, "zeroshot", MetricName.top1).values()]),
      })
    }
  }
  return out
}

/**
 * The accuracy matrix of each group that has `"session"` tasks, with task
 * names per column: the data of the heat map.
 *
 * @since 0.1.0
 * @category constructors
 */
export const accuracyMatrices = (
  tables: ReadonlyArray<EvalTable> | EvalTable,
  options: ResultOptions = {},
): ReadonlyArray<{
  method: string
  setting: Readonly<Record<string, unknown>>
  tasks: ReadonlyArray<string>
  acc: AccuracyMatrix
  /** Session -1 accuracies of the session tasks, when evaluated. */
  pretrained?: ReadonlyArray<number | null>
}> => {
  const records = flatten(tables)
  const source = options.source ?? "results"
  const out = []
  for (const g of groupRecords(records, source)) {
    const m = accuracyMatrix(g, lastSession(g))
    if (m === undefined) continue
    const tasks = Array<string>(m.acc[0].length).fill("")
    for (const r of g.records) if (r.role === "session") tasks[r.taskIndex!] = r.task
    out.push({
      method: g.method,
      setting: g.setting,
      tasks: tasks.map((t, i) => t || `task ${i}`),
      acc: m.acc,
      ...(m.pretrained === undefined ? {} : { pretrained: m.pretrained }),
    })
  }
  return out
}
