/**
 * The evaluation table: what an evaluate stage stores as its `table`
 * artifact, in long form, one measured number per row.
 *
 * Long form keeps one schema for every protocol (one session or many, class-
 * or domain-incremental, with or without retrieval) and lets many tables
 * (one per method or sweep setting) be concatenated before aggregation
 * (`results.ts`). Each row says *who* (method, setting), *when* (session:
 * `-1` is the model before any session, `0..T` after learning session t),
 * *on what* (task and its role) and *what* (metric, value as a fraction).
 *
 * Roles:
 * - `"session"`: the task learned in session `taskIndex` (a column of the
 *   accuracy matrix `acc[session][taskIndex]`);
 * - `"target"`: the whole target task (e.g. all COCO classes): UT-Acc;
 * - `"zeroshot"`: a held-out data set never trained on: ZS-Acc;
 * - `"retrieval"`: held-out image-caption pairs (metrics `i2t_r1` ...).
 *
 * @since 0.1.0
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import type { AccuracyResult } from "./accuracy.js"
import { EvalTableError } from "./EvalError.js"
import type { RetrievalResult } from "./retrieval.js"

/**
 * @since 0.1.0
 * @category models
 */
export const EvalRole = Schema.Literal("session", "target", "zeroshot", "retrieval")

/**
 * @since 0.1.0
 * @category models
 */
export type EvalRole = typeof EvalRole.Type

/**
 * Metric names the aggregation understands. Other names may be stored and
 * are carried along but not summarised.
 *
 * @since 0.1.0
 * @category models
 */
export const MetricName = {
  top1: "top1",
  top5: "top5",
  i2tR1: "i2t_r1",
  i2tR5: "i2t_r5",
  i2tR10: "i2t_r10",
  t2iR1: "t2i_r1",
  t2iR5: "t2i_r5",
  t2iR10: "t2i_r10",
} as const

/**
 * One row of an evaluation table.
 *
 * @since 0.1.0
 * @category models
 */
export const EvalRecord = Schema.Struct({
  method: Schema.NonEmptyString,
  /** Sweep setting (hyper-parameters that distinguish this run), `{}` if none. */
  setting: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  session: Schema.Int.pipe(Schema.greaterThanOrEqualTo(-1)),
  task: Schema.NonEmptyString,
  role: EvalRole,
  /** For role `"session"`: the session in which the task is learned. */
  taskIndex: Schema.optionalWith(Schema.NullOr(Schema.Int.pipe(Schema.nonNegative())), { default: () => null }),
  metric: Schema.NonEmptyString,
  /** A fraction in [0, 1]; `null` when not measurable. */
  value: Schema.NullOr(Schema.Number.pipe(Schema.between(0, 1))),
})

/**
 * @since 0.1.0
 * @category models
 */
export type EvalRecord = typeof EvalRecord.Type

/**
 * A whole table, as stored.
 *
 * @since 0.1.0
 * @category models
 */
export type EvalTable = ReadonlyArray<EvalRecord>

const decodeRow = Schema.decodeUnknownEither(EvalRecord, { onExcessProperty: "ignore" })

/** Accepts both table encodings the cache knows: row objects, or `{columns, rows}`. */
const rowObjects = (u: unknown, source: string): ReadonlyArray<unknown> => {
  if (Array.isArray(u)) return u
  if (typeof u === "object" && u !== null && Array.isArray((u as { columns?: unknown }).columns) && Array.isArray((u as { rows?: unknown }).rows)) {
    const { columns, rows } = u as { columns: ReadonlyArray<string>; rows: ReadonlyArray<unknown> }
    return rows.map((r, i) => {
      if (!Array.isArray(r) || r.length !== columns.length) {
        throw new EvalTableError({ source, row: i, reason: `expected ${columns.length} cells (${columns.join(", ")})` })
      }
      return Object.fromEntries(columns.map((c, j) => [c, r[j]]))
    })
  }
  throw new EvalTableError({ source, reason: "not a table: expected an array of rows or {columns, rows}" })
}

/**
 * Decodes and validates a stored table, synchronously.
 *
 * @throws EvalTableError naming the source, row and field at fault.
 * @since 0.1.0
 * @category constructors
 */
export const decodeEvalTableSync = (u: unknown, source: string): EvalTable =>
  rowObjects(u, source).map((row, i) => {
    const r = decodeRow(row)
    if (Either.isLeft(r)) {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(r.left)[0]
      throw new EvalTableError({
        source,
        row: i,
        ...(issue && issue.path.length > 0 ? { field: issue.path.join(".") } : {}),
        reason: issue?.message ?? "invalid row",
      })
    }
    const rec = r.right
    if (rec.role === "session" && rec.taskIndex === null) {
      throw new EvalTableError({ source, row: i, field: "taskIndex", reason: `task ${rec.task} has role "session" but no taskIndex` })
    }
    return rec
  })

/**
 * Decodes and validates a stored table.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeEvalTable = (u: unknown, source: string): Effect.Effect<EvalTable, EvalTableError> =>
  Effect.try({
    try: () => decodeEvalTableSync(u, source),
    catch: (e) => (e instanceof EvalTableError ? e : new EvalTableError({ source, reason: String(e) })),
  })

/**
 * Who was evaluated, when.
 *
 * @since 0.1.0
 * @category models
 */
export interface EvalContext {
  readonly method: string
  readonly setting?: Readonly<Record<string, unknown>>
  readonly session: number
}

/**
 * What was evaluated.
 *
 * @since 0.1.0
 * @category models
 */
export interface EvalTask {
  readonly task: string
  readonly role: EvalRole
  readonly taskIndex?: number
}

/**
 * Rows for a set of named metric values on one task.
 *
 * @since 0.1.0
 * @category constructors
 */
export const evalRecords = (
  ctx: EvalContext,
  task: EvalTask,
  metrics: Readonly<Record<string, number | null>>,
): EvalTable =>
  Object.entries(metrics).map(([metric, value]) => ({
    method: ctx.method,
    setting: { ...(ctx.setting ?? {}) },
    session: ctx.session,
    task: task.task,
    role: task.role,
    taskIndex: task.taskIndex ?? null,
    metric,
    value,
  }))

/**
 * The metric values of a classification result: `top1`, `top5`.
 *
 * @since 0.1.0
 * @category utils
 */
export const accuracyMetrics = (r: Pick<AccuracyResult, "top1" | "top5">): Record<string, number> => ({
  [MetricName.top1]: r.top1,
  [MetricName.top5]: r.top5,
})

/**
 * The metric values of a retrieval result: `i2t_r1` ... `t2i_r10`
 * (only the K it was computed for).
 *
 * @since 0.1.0
 * @category utils
 */
export const retrievalMetrics = (r: Pick<RetrievalResult, "imageToText" | "textToImage">): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(r.imageToText)) out[`i2t_r${k}`] = v
  for (const [k, v] of Object.entries(r.textToImage)) out[`t2i_r${k}`] = v
  return out
}
