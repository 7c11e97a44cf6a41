/**
 * `report`: the study's results from the evaluation tables of every method
 * and setting. Its inputs are the evaluate stages it summarises, so
 * `reportOf(n)` makes a report stage with `n` table inputs; its parameters
 * label each input (method and setting, the row it belongs to in the
 * results). Labels live here and not in `evaluate`, so renaming a method or
 * a setting re-runs this stage only.
 *
 * The output is the labelled long-form evaluation table (src/eval's
 * `EvalRecord` rows of every input); the summary table goes to the stage's
 * log. The stage kind's results hook ({@link studyResults}) turns the
 * latest report outputs into `clipcl results`' rows and plots, and the
 * table under a finished `clipcl run`: the engine only prints what it
 * returns.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { stage, table, type AnyOutputSpec, type ResultsHook, type Table } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"

/**
 * The results row an evaluation table belongs to.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RowLabel = Schema.Struct({
  method: Schema.NonEmptyString,
  /** Sweep setting (the hyper-parameters that distinguish this row), `{}` if none. */
  setting: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { default: () => ({}) })
})

/** @since 0.1.0 @category models */
export type RowLabel = typeof RowLabel.Encoded

const rowsOf = (t: Table): Array<Record<string, unknown>> => t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])))

/**
 * The results of a study from its report stages' latest outputs: one row
 * per method and setting in the format asked for, and the plots with
 * `--plots`. Null when no report has run yet.
 *
 * @since 0.1.0
 * @category utils
 */
export const studyResults: ResultsHook = (runs, { readTable, format, plotsDir }) =>
  Effect.gen(function* () {
    const done = runs.filter((r) => r.status === "ok" && r.output !== null)
    if (done.length === 0) return null
    // The evaluation area (and the plotting it can reach) loads only to show results.
    const { evalReport, isEvalTable } = yield* Effect.promise(() => import("../eval/report.js"))
    const tables: Array<{ source: string; table: unknown }> = []
    for (const r of done) {
      // A failed read (the cache's typed error) passes through as it is.
      const t = yield* Effect.tryPromise({ try: () => readTable(r), catch: (e) => e })
      if (isEvalTable(t)) tables.push({ source: r.stage, table: t })
    }
    if (tables.length === 0) return null
    const report = yield* evalReport(tables, { format, ...(plotsDir === undefined ? {} : { plotsDir, png: true }) })
    return { text: report.text, files: report.plots }
  })

const hashIncludes = moduleSources(import.meta.url)
const defs = new Map<number, ReturnType<typeof make>>()

const make = (n: number) =>
  stage({
    name: "report",
    version: 2,
    params: Schema.Struct({
      /** The method whose zero-shot accuracy the drops are measured from. */
      pretrainedMethod: Schema.optionalWith(Schema.String, { default: () => "pretrained" }),
      /** `labels[i]` labels input `t{i}`. */
      labels: Schema.Array(RowLabel).pipe(Schema.itemsCount(n))
    }),
    inputs: Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, table])) as Record<string, AnyOutputSpec & typeof table>,
    output: table,
    hashIncludes,
    results: studyResults,
    run: ({ params, inputs, ctx }) =>
      Effect.gen(function* () {
        // The evaluation area (and the plotting it can reach) loads when a report is made.
        const { decodeEvalTable } = yield* Effect.promise(() => import("../eval/EvalTable.js"))
        const { evalReport } = yield* Effect.promise(() => import("../eval/report.js"))
        const all = inputs as Record<string, Table>
        const records: Array<Record<string, unknown>> = []
        for (let i = 0; i < n; i++) {
          const { method, setting } = params.labels[i]!
          for (const row of rowsOf(all[`t${i}`]!)) records.push({ ...row, method, setting })
        }
        const labelled = yield* decodeEvalTable(records, "report")
        const r = yield* evalReport([{ source: "report", table: labelled }], { pretrainedMethod: params.pretrainedMethod, format: "text" })
        for (const line of r.text.split("\n")) ctx.log(line)
        return labelled
      })
  })

/**
 * A report stage over `n` evaluation tables (inputs `t0` .. `t{n-1}`,
 * labelled by the parameter `labels`).
 *
 * @since 0.1.0
 * @category stages
 */
export const reportOf = (n: number) => {
  let d = defs.get(n)
  if (d === undefined) {
    d = make(n)
    defs.set(n, d)
  }
  return d
}
