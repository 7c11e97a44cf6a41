/**
 * `report`: the study's results from the evaluation tables of every method
 * and setting. Its inputs are the evaluate stages it summarises, so
 * `reportOf(n)` makes a report stage with `n` table inputs; its parameters
 * label each input (method and setting, the row it belongs to in the
 * results). Labels live here and not in `evaluate`, so renaming a method or
 * a setting re-runs this stage only.
 *
 * The output is the labelled long-form evaluation table (src/eval's
 * `EvalRecord` rows of every input), from which `clipcl results` builds its
 * rows and plots; the summary table goes to the stage's log.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { stage, table, type AnyOutputSpec, type Table } from "../dsl/index.js"
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
