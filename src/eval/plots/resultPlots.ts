/**
 * Which plots a set of evaluation tables supports, as named specs (nothing
 * is rendered here).
 *
 * @since 0.1.0
 */
import type * as vega from "vega"
import type { EvalTable } from "../EvalTable.js"
import { accuracyMatrices, resultRowsSync, sessionPoints, settingKey, type ResultRow } from "../results.js"
import { heatmapSpec } from "./heatmap.js"
import { sessionCurvesSpec } from "./sessionCurves.js"
import { seriesLabel } from "./style.js"
import { tradeoffSpec } from "./tradeoff.js"

/**
 * A named plot, ready to render.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plot {
  /** File stem, e.g. `heatmap-ft`. */
  readonly name: string
  readonly spec: vega.Spec
}

const fileStem = (s: string): string => s.replace(/[^A-Za-z0-9._=-]+/g, "_").replace(/^_+|_+$/g, "") || "plot"

/**
 * The numeric setting keys that vary between a method's rows: candidates
 * for a trade-off plot.
 */
const sweptParams = (rows: ReadonlyArray<ResultRow>): Array<{ method: string; param: string }> => {
  const out: Array<{ method: string; param: string }> = []
  for (const method of [...new Set(rows.map((r) => r.method))]) {
    const mine = rows.filter((r) => r.method === method)
    const keys = [...new Set(mine.flatMap((r) => Object.keys(r.setting)))]
    for (const k of keys) {
      const vals = new Set(mine.filter((r) => typeof r.setting[k] === "number").map((r) => settingKey(r.setting[k])))
      if (vals.size >= 2) out.push({ method, param: k })
    }
  }
  return out
}

/**
 * Every plot the tables support: a heat map per group with an accuracy
 * matrix of at least two sessions, the session curves when some group has
 * two or more evaluated sessions, a trade-off plot per swept numeric
 * parameter of a method (alpha first), with the pretrained model as a
 * reference point, and, when several methods sweep one parameter, a plot
 * of all their curves with every other method as a reference point.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resultPlots = (tables: ReadonlyArray<EvalTable> | EvalTable, pretrainedMethod = "pretrained"): ReadonlyArray<Plot> => {
  const plots: Plot[] = []
  const matrices = accuracyMatrices(tables)
  for (const m of matrices) {
    if (m.acc.length < 2) continue
    const label = seriesLabel(m.method, m.setting)
    plots.push({ name: fileStem(`heatmap-${label}`), spec: heatmapSpec({ title: `Accuracy matrix: ${label}`, tasks: m.tasks, acc: m.acc, ...(m.pretrained ? { pretrained: m.pretrained } : {}) }) })
  }
  const points = sessionPoints(tables)
  const counts = new Map<string, number>()
  for (const p of points) {
    const k = seriesLabel(p.method, p.setting)
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  if ([...counts.values()].some((n) => n >= 2)) plots.push({ name: "session-curves", spec: sessionCurvesSpec(points) })
  const rows = resultRowsSync(tables, { pretrainedMethod })
  const params = sweptParams(rows).sort((a, b) => Number(b.param === "alpha") - Number(a.param === "alpha"))
  for (const { method, param } of params) {
    const mine = rows.filter((r) => (r.method === method && r.setting[param] !== undefined) || r.method === pretrainedMethod)
    plots.push({ name: fileStem(`tradeoff-${method}-${param}`), spec: tradeoffSpec(mine, param, `${method}: target vs. zero-shot accuracy over ${param}`) })
  }
  // Several methods swept over one parameter: one plot comparing their curves, every other row a reference point.
  for (const param of [...new Set(params.map((x) => x.param))]) {
    if (params.filter((x) => x.param === param).length < 2) continue
    plots.push({ name: fileStem(`tradeoff-${param}`), spec: tradeoffSpec(rows, param, `Target vs. zero-shot accuracy over ${param}, every method`) })
  }
  return plots
}
