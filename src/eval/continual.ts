/**
 * Continual-learning summaries of an accuracy matrix.
 *
 * `acc[t][i]` is the accuracy on task i after learning sessions `0..t`;
 * rows `t = 0..T` (T + 1 sessions), columns `i = 0..N-1` with `N >= T + 1`
 * (columns past T are tasks never learned, e.g. extra held-out data sets).
 * An entry may be `null` where it was not evaluated (a class-incremental run
 * scored over the classes seen so far has no entries above the diagonal).
 *
 * The accuracy of the model *before* any session (the pretrained CLIP) is
 * not a row of `acc`: it is passed apart as `pretrained[i]` and used only by
 * forward transfer (and, in result rows, by the zero-shot drop). Every other
 * summary reads rows `0..T` only, so adding a pretrained evaluation never
 * changes BWT, forgetting, Transfer, Avg. or Last.
 *
 * Formulas (means skip `null` entries; a summary with no terms is `null`):
 * - average incremental accuracy `= mean_{t=0..T} mean_{i<=t} acc[t][i]`
 * - last accuracy `= mean_{i<=T} acc[T][i]`
 * - `BWT = mean_{i<T} (acc[T][i] - acc[i][i])`
 * - forgetting `= mean_{i<T} (max_{t<T} acc[t][i] - acc[T][i])`
 * - `FWT = mean_{i=1..T} (acc[i-1][i] - pretrained[i])`
 * - MTIL Transfer `= mean_{i>=1} mean_{t<min(i,T+1)} acc[t][i]` (ZSCL: the
 *   upper triangle, averaged per task column, then over columns)
 * - MTIL Avg. `= mean_i mean_t acc[t][i]` (mean of all entries when the
 *   matrix is complete: every column has T + 1 rows)
 * - MTIL Last `= mean_i acc[T][i]` over all N columns (equals last
 *   accuracy when N = T + 1)
 *
 * @since 0.1.0
 */
import { MetricInputError } from "./EvalError.js"

/**
 * Rows are sessions, columns tasks; fractions in `[0, 1]` or `null`.
 *
 * @since 0.1.0
 * @category models
 */
export type AccuracyMatrix = ReadonlyArray<ReadonlyArray<number | null>>

/**
 * @since 0.1.0
 * @category models
 */
export interface ContinualSummary {
  /** T + 1. */
  readonly sessions: number
  /** N. */
  readonly tasks: number
  readonly averageAccuracy: number
  readonly lastAccuracy: number
  /** `null` when T = 0 (nothing learned before the last session). */
  readonly bwt: number | null
  readonly forgetting: number | null
  /** `null` without a pretrained row or with T = 0. */
  readonly fwt: number | null
  /** `null` when there is no evaluated entry above the diagonal. */
  readonly transfer: number | null
  readonly avg: number
  readonly last: number
}

const mean = (xs: ReadonlyArray<number>): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length)

const present = (xs: ReadonlyArray<number | null>): number[] => xs.filter((x): x is number => x !== null)

const checkEntry = (metric: string, field: string, v: unknown): void => {
  if (v === null) return
  if (typeof v !== "number" || Number.isNaN(v)) throw new MetricInputError({ metric, field, reason: `${String(v)} is not an accuracy` })
  if (v < 0 || v > 1) {
    throw new MetricInputError({ metric, field, reason: `${v} is outside [0, 1] (accuracies are fractions, not percentages)` })
  }
}

/**
 * Checks shape and values; returns T.
 *
 * @internal
 */
export const validateMatrix = (metric: string, acc: AccuracyMatrix, pretrained?: ReadonlyArray<number | null>): number => {
  if (acc.length === 0) throw new MetricInputError({ metric, field: "acc", reason: "no sessions (empty matrix)" })
  const n = acc[0].length
  if (n < acc.length) {
    throw new MetricInputError({ metric, field: "acc", reason: `${acc.length} sessions but only ${n} task columns: every learned task needs a column` })
  }
  acc.forEach((row, t) => {
    if (row.length !== n) throw new MetricInputError({ metric, field: `acc[${t}]`, reason: `has ${row.length} columns, row 0 has ${n}` })
    row.forEach((v, i) => checkEntry(metric, `acc[${t}][${i}]`, v))
  })
  const T = acc.length - 1
  for (let i = 0; i <= T; i++) {
    if (acc[i][i] === null) throw new MetricInputError({ metric, field: `acc[${i}][${i}]`, reason: "task not evaluated right after it was learned" })
    for (let t = i; t <= T; t++) {
      if (acc[t][i] === null) throw new MetricInputError({ metric, field: `acc[${t}][${i}]`, reason: "a learned task must be evaluated after every later session" })
    }
  }
  if (pretrained !== undefined) {
    if (pretrained.length !== n) throw new MetricInputError({ metric, field: "pretrained", reason: `has ${pretrained.length} entries, the matrix ${n} columns` })
    pretrained.forEach((v, i) => checkEntry(metric, `pretrained[${i}]`, v))
  }
  return T
}

/**
 * Average incremental accuracy: the mean over sessions of the mean accuracy
 * on the tasks learned so far.
 *
 * @since 0.1.0
 * @category utils
 */
export const averageAccuracy = (acc: AccuracyMatrix): number => {
  const T = validateMatrix("averageAccuracy", acc)
  return mean(acc.map((row, t) => mean(present(row.slice(0, t + 1)))!).slice(0, T + 1))!
}

/**
 * Mean accuracy on the learned tasks after the last session.
 *
 * @since 0.1.0
 * @category utils
 */
export const lastAccuracy = (acc: AccuracyMatrix): number => {
  const T = validateMatrix("lastAccuracy", acc)
  return mean(present(acc[T].slice(0, T + 1)))!
}

/**
 * Backward transfer; negative means forgetting. `null` when T = 0.
 *
 * @since 0.1.0
 * @category utils
 */
export const backwardTransfer = (acc: AccuracyMatrix): number | null => {
  const T = validateMatrix("backwardTransfer", acc)
  return mean(Array.from({ length: T }, (_, i) => acc[T][i]! - acc[i][i]!))
}

/**
 * Average forgetting: how far each earlier task fell from its best accuracy
 * before the last session. `null` when T = 0.
 *
 * @since 0.1.0
 * @category utils
 */
export const forgetting = (acc: AccuracyMatrix): number | null => {
  const T = validateMatrix("forgetting", acc)
  return mean(
    Array.from({ length: T }, (_, i) => Math.max(...present(acc.slice(0, T).map((row) => row[i]))) - acc[T][i]!),
  )
}

/**
 * Forward transfer against the pretrained model: how much learning the
 * previous sessions helped (or hurt) a task before it is learned.
 *
 * @since 0.1.0
 * @category utils
 */
export const forwardTransfer = (acc: AccuracyMatrix, pretrained: ReadonlyArray<number | null>): number | null => {
  const T = validateMatrix("forwardTransfer", acc, pretrained)
  const terms: number[] = []
  for (let i = 1; i <= T; i++) {
    const before = acc[i - 1][i]
    const zero = pretrained[i]
    if (before !== null && zero !== null) terms.push(before - zero)
  }
  return mean(terms)
}

/**
 * ZSCL's MTIL Transfer: accuracy on tasks not yet learned (the upper
 * triangle), averaged per task column, then over columns.
 *
 * @since 0.1.0
 * @category utils
 */
export const transfer = (acc: AccuracyMatrix): number | null => {
  const T = validateMatrix("transfer", acc)
  const perTask: number[] = []
  for (let i = 1; i < acc[0].length; i++) {
    const m = mean(present(acc.slice(0, Math.min(i, T + 1)).map((row) => row[i])))
    if (m !== null) perTask.push(m)
  }
  return mean(perTask)
}

/**
 * ZSCL's MTIL Avg.: the mean accuracy of each task over all sessions,
 * averaged over tasks.
 *
 * @since 0.1.0
 * @category utils
 */
export const mtilAvg = (acc: AccuracyMatrix): number => {
  validateMatrix("mtilAvg", acc)
  return mean(present(acc[0].map((_, i) => mean(present(acc.map((row) => row[i]))))))!
}

/**
 * ZSCL's MTIL Last: the final row's mean over every evaluated task column
 * (learned tasks are always evaluated; unlearned ones may be `null`).
 *
 * @since 0.1.0
 * @category utils
 */
export const mtilLast = (acc: AccuracyMatrix): number => {
  const T = validateMatrix("mtilLast", acc)
  return mean(present(acc[T]))!
}

/**
 * Every summary at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const continualSummary = (acc: AccuracyMatrix, pretrained?: ReadonlyArray<number | null>): ContinualSummary => {
  validateMatrix("continualSummary", acc, pretrained)
  return {
    sessions: acc.length,
    tasks: acc[0].length,
    averageAccuracy: averageAccuracy(acc),
    lastAccuracy: lastAccuracy(acc),
    bwt: backwardTransfer(acc),
    forgetting: forgetting(acc),
    fwt: pretrained === undefined ? null : forwardTransfer(acc, pretrained),
    transfer: transfer(acc),
    avg: mtilAvg(acc),
    last: mtilLast(acc),
  }
}

/**
 * The paper's headline pair: UT-Acc (accuracy on the target task after the
 * last session), ZS-Acc (mean zero-shot accuracy over the held-out data
 * sets) and their mean, which rewards learning without forgetting.
 *
 * @since 0.1.0
 * @category models
 */
export interface TargetZeroShotSummary {
  readonly utAcc: number
  readonly zsAcc: number
  readonly mean: number
}

/**
 * UT-Acc, ZS-Acc and their mean.
 *
 * @throws MetricInputError on an empty held-out list or a value outside [0, 1].
 * @since 0.1.0
 * @category constructors
 */
export const targetZeroShotSummary = (targetAcc: number, zeroShotAccs: ReadonlyArray<number>): TargetZeroShotSummary => {
  checkEntry("targetZeroShotSummary", "targetAcc", targetAcc)
  if (zeroShotAccs.length === 0) throw new MetricInputError({ metric: "targetZeroShotSummary", field: "zeroShotAccs", reason: "no held-out data set" })
  zeroShotAccs.forEach((v, i) => checkEntry("targetZeroShotSummary", `zeroShotAccs[${i}]`, v))
  const zsAcc = mean(zeroShotAccs)!
  return { utAcc: targetAcc, zsAcc, mean: (targetAcc + zsAcc) / 2 }
}
