/**
 * `report`: the study's results table from the evaluation tables of every
 * method and setting (one row each: target accuracy, zero-shot accuracy and
 * its drop from the pretrained model, retrieval recall, BWT, forgetting),
 * via src/eval. Its inputs are the evaluate stages it summarises, so
 * `reportOf(n)` makes a report stage with `n` table inputs.
 *
 * @since 0.1.0
 */
import { Effect, Schema } from "effect"
import { stage, table, type AnyOutputSpec, type Table } from "../dsl/index.js"
import { evalReport } from "../eval/report.js"
import { moduleSources } from "./sources.js"

const hashIncludes = moduleSources(import.meta.url)
const defs = new Map<number, ReturnType<typeof make>>()

const make = (n: number) =>
  stage({
    name: "report",
    version: 1,
    params: Schema.Struct({
      /** The method whose zero-shot accuracy the drops are measured from. */
      pretrainedMethod: Schema.optionalWith(Schema.String, { default: () => "pretrained" })
    }),
    inputs: Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, table])) as Record<string, AnyOutputSpec & typeof table>,
    output: table,
    hashIncludes,
    run: ({ params, inputs, ctx }) =>
      Effect.gen(function* () {
        const tables = Object.entries(inputs as Record<string, Table>).map(([k, t]) => ({ source: `report input ${k}`, table: t }))
        const r = yield* evalReport(tables, { pretrainedMethod: params.pretrainedMethod, format: "text" })
        for (const line of r.text.split("\n")) ctx.log(line)
        return r.rows.map((row) => ({ ...row, setting: JSON.stringify(row.setting) }))
      })
  })

/**
 * A report stage over `n` evaluation tables (inputs `t0` .. `t{n-1}`).
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
