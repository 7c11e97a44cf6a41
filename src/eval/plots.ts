/**
 * Plots of evaluation results, drawn with vega (a maintained grammar-of-
 * graphics library that renders headless to SVG without a browser or a
 * canvas) and optionally rasterised to PNG with sharp.
 *
 * vega and sharp are loaded on first render, so importing this module (or
 * the package root) costs nothing to a command that draws no plot.
 *
 * Each plot is first a pure function from data to a vega spec (easy to test
 * and to tweak: the spec is plain JSON, openable in the vega editor), then
 * {@link renderSvg} draws it:
 * - {@link heatmapSpec}: the accuracy matrix `acc[t][i]`, one annotated cell
 *   per evaluated entry;
 * - {@link sessionCurvesSpec}: target and zero-shot accuracy after each
 *   session (from the pretrained model on), one colour per method/setting,
 *   solid for target, dashed for zero-shot;
 * - {@link tradeoffSpec}: target vs. zero-shot accuracy over a sweep of one
 *   parameter (VR-LwF's alpha), a point per setting joined in order.
 *
 * @since 0.1.0
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import type * as vega from "vega"
import type { AccuracyMatrix } from "./continual.js"
import { PlotError } from "./EvalError.js"
import type { EvalTable } from "./EvalTable.js"
import { settingLabel } from "../formats/settingLabel.js"
import { accuracyMatrices, resultRowsSync, sessionPoints, settingKey, type ResultRow, type SessionPoint } from "./results.js"

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

const SCHEMA = "https://vega.github.io/schema/vega/v6.json"
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

/** Shared look: white background, readable fonts, light grid. */
const config = {
  background: "white",
  padding: 12,
  config: {
    text: { font: FONT },
    axis: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12, gridColor: "#e4e4e4" },
    legend: { labelFont: FONT, titleFont: FONT, labelFontSize: 11, titleFontSize: 12 },
    title: { font: FONT, fontSize: 14, subtitleFont: FONT, subtitleFontSize: 11, anchor: "start" },
  },
} as const

/** Who a group is, as a short series label. */
const seriesLabel = (method: string, setting: Readonly<Record<string, unknown>>): string =>
  Object.keys(setting).length === 0 ? method : `${method} ${settingLabel(setting)}`

const sessionLabel = (t: number): string => (t < 0 ? "pre" : String(t))

/**
 * @since 0.1.0
 * @category models
 */
export interface HeatmapInput {
  readonly title: string
  readonly tasks: ReadonlyArray<string>
  readonly acc: AccuracyMatrix
  /** Accuracies before any session, drawn as a first row `pre`. */
  readonly pretrained?: ReadonlyArray<number | null>
}

/**
 * Accuracy-matrix heat map: rows are sessions t (top to bottom), columns
 * tasks i, cells coloured and annotated with `acc[t][i]` in percent;
 * `null` entries are left blank. With `pretrained`, a first row `pre`
 * shows the model before any session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const heatmapSpec = (input: HeatmapInput): vega.Spec => {
  const cols = input.acc[0]?.length ?? 0
  const tasks = Array.from({ length: cols }, (_, i) => `${i}: ${input.tasks[i] ?? `task ${i}`}`)
  const rows = input.pretrained === undefined ? input.acc : [input.pretrained, ...input.acc]
  const first = input.pretrained === undefined ? 0 : -1
  const sessions = rows.map((_, r) => sessionLabel(r + first))
  const cells = rows.flatMap((row, r) =>
    row.flatMap((value, i) => (value === null ? [] : [{ session: sessions[r], task: tasks[i], value }])),
  )
  const cell = 44
  return {
    $schema: SCHEMA,
    ...config,
    description: `Accuracy matrix: ${input.title}`,
    title: { text: input.title, subtitle: "accuracy on task i (column) after learning session t (row)" },
    width: Math.max(cell * cols, 120),
    height: cell * rows.length,
    data: [{ name: "cells", values: cells }],
    scales: [
      { name: "x", type: "band", domain: tasks, range: "width", padding: 0.04 },
      { name: "y", type: "band", domain: sessions, range: "height", padding: 0.04 },
      { name: "color", type: "linear", domain: [0, 1], range: { scheme: "blues" }, zero: true },
    ],
    axes: [
      { orient: "bottom", scale: "x", title: "Task i", labelAngle: -35, labelAlign: "right", labelLimit: 200, domain: false, ticks: false },
      { orient: "left", scale: "y", title: "After session t", domain: false, ticks: false },
    ],
    legends: [{ fill: "color", title: "Accuracy", format: ".0%", gradientLength: Math.max(cell * rows.length, 80) }],
    marks: [
      {
        type: "rect",
        name: "cell-rects",
        from: { data: "cells" },
        encode: {
          enter: {
            x: { scale: "x", field: "task" },
            width: { scale: "x", band: 1 },
            y: { scale: "y", field: "session" },
            height: { scale: "y", band: 1 },
            fill: { scale: "color", field: "value" },
            tooltip: { signal: "datum.task + ' after ' + datum.session + ': ' + format(datum.value, '.1%')" },
          },
        },
      },
      {
        type: "text",
        name: "cell-values",
        from: { data: "cells" },
        encode: {
          enter: {
            x: { scale: "x", field: "task", band: 0.5 },
            y: { scale: "y", field: "session", band: 0.5 },
            align: { value: "center" },
            baseline: { value: "middle" },
            fontSize: { value: 11 },
            text: { signal: "format(datum.value * 100, '.1f')" },
            fill: { signal: "datum.value > 0.55 ? 'white' : '#222'" },
          },
        },
      },
    ],
  }
}

/**
 * Target (solid) and zero-shot (dashed) accuracy after each session, one
 * colour per method/setting; the pretrained model (session -1) is `pre`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sessionCurvesSpec = (points: ReadonlyArray<SessionPoint>, title = "Target vs. zero-shot accuracy per session"): vega.Spec => {
  const sorted = [...points].sort((a, b) => a.session - b.session)
  const values = sorted.flatMap((p) => {
    const series = seriesLabel(p.method, p.setting)
    const label = sessionLabel(p.session)
    return [
      ...(p.targetAcc === null ? [] : [{ series, metric: "target", session: label, value: p.targetAcc }]),
      ...(p.zeroShotAcc === null ? [] : [{ series, metric: "zero-shot", session: label, value: p.zeroShotAcc }]),
    ]
  })
  const sessions = [...new Set(sorted.map((p) => p.session))].map(sessionLabel)
  return {
    $schema: SCHEMA,
    ...config,
    description: title,
    title: { text: title, subtitle: "solid: target task; dashed: held-out zero-shot data sets" },
    width: Math.max(80 * sessions.length, 320),
    height: 260,
    data: [{ name: "points", values }],
    scales: [
      { name: "x", type: "point", domain: sessions, range: "width", padding: 0.3 },
      { name: "y", type: "linear", domain: [0, 1], range: "height", nice: true },
      { name: "color", type: "ordinal", domain: { data: "points", field: "series" }, range: "category" },
      { name: "dash", type: "ordinal", domain: ["target", "zero-shot"], range: [[1, 0], [6, 4]] },
    ],
    axes: [
      { orient: "bottom", scale: "x", title: "After session" },
      { orient: "left", scale: "y", title: "Accuracy", format: ".0%", grid: true },
    ],
    legends: [
      { stroke: "color", title: "Method", symbolType: "stroke", symbolStrokeWidth: 2 },
      { strokeDash: "dash", title: "Accuracy on", symbolType: "stroke", symbolStrokeWidth: 2 },
    ],
    marks: [
      {
        type: "group",
        name: "series",
        from: { facet: { name: "line", data: "points", groupby: ["series", "metric"] } },
        marks: [
          {
            type: "line",
            name: "curve",
            from: { data: "line" },
            encode: {
              enter: {
                x: { scale: "x", field: "session" },
                y: { scale: "y", field: "value" },
                stroke: { scale: "color", field: "series" },
                strokeDash: { scale: "dash", field: "metric" },
                strokeWidth: { value: 2 },
              },
            },
          },
        ],
      },
      {
        type: "symbol",
        name: "dots",
        from: { data: "points" },
        encode: {
          enter: {
            x: { scale: "x", field: "session" },
            y: { scale: "y", field: "value" },
            fill: { scale: "color", field: "series" },
            size: { value: 30 },
            tooltip: { signal: "datum.series + ' ' + datum.metric + ' after ' + datum.session + ': ' + format(datum.value, '.1%')" },
          },
        },
      },
    ],
  }
}

/**
 * Target vs. zero-shot accuracy across settings of one swept parameter:
 * one point per result row, joined in order of the parameter, labelled
 * with its value; rows lacking the parameter (e.g. the pretrained model)
 * are drawn as reference crosses.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tradeoffSpec = (rows: ReadonlyArray<ResultRow>, param = "alpha", title = `Target vs. zero-shot accuracy over ${param}`): vega.Spec => {
  const usable = rows.filter((r) => r.targetAcc !== null && r.zeroShotAcc !== null)
  const swept = usable
    .filter((r) => r.setting[param] !== undefined)
    .map((r) => ({
      series: seriesLabel(r.method, Object.fromEntries(Object.entries(r.setting).filter(([k]) => k !== param))),
      p: Number(r.setting[param]),
      label: `${param}=${String(r.setting[param])}`,
      target: r.targetAcc,
      zeroShot: r.zeroShotAcc,
    }))
    .sort((a, b) => a.p - b.p)
  const refs = usable
    .filter((r) => r.setting[param] === undefined)
    .map((r) => ({ label: seriesLabel(r.method, r.setting), target: r.targetAcc, zeroShot: r.zeroShotAcc }))
  return {
    $schema: SCHEMA,
    ...config,
    description: title,
    title: { text: title, subtitle: "up: better on the target task; right: less zero-shot forgetting" },
    width: 360,
    height: 300,
    data: [
      { name: "sweep", values: swept },
      { name: "refs", values: refs },
      { name: "all", source: ["sweep", "refs"] },
    ],
    scales: [
      { name: "x", type: "linear", domain: { data: "all", field: "zeroShot" }, range: "width", zero: false, nice: true, padding: 16 },
      { name: "y", type: "linear", domain: { data: "all", field: "target" }, range: "height", zero: false, nice: true, padding: 16 },
      { name: "color", type: "ordinal", domain: { data: "sweep", field: "series" }, range: "category" },
    ],
    axes: [
      { orient: "bottom", scale: "x", title: "Zero-shot accuracy (ZS-Acc)", format: ".0%", grid: true },
      { orient: "left", scale: "y", title: "Target accuracy (UT-Acc)", format: ".0%", grid: true },
    ],
    legends: swept.length > 0 ? [{ stroke: "color", title: "Method", symbolType: "stroke", symbolStrokeWidth: 2 }] : [],
    marks: [
      {
        type: "group",
        name: "paths",
        from: { facet: { name: "path", data: "sweep", groupby: ["series"] } },
        marks: [
          {
            type: "line",
            name: "sweep-line",
            from: { data: "path" },
            encode: {
              enter: {
                x: { scale: "x", field: "zeroShot" },
                y: { scale: "y", field: "target" },
                stroke: { scale: "color", field: "series" },
                strokeWidth: { value: 2 },
              },
            },
          },
        ],
      },
      {
        type: "symbol",
        name: "settings",
        from: { data: "sweep" },
        encode: {
          enter: {
            x: { scale: "x", field: "zeroShot" },
            y: { scale: "y", field: "target" },
            fill: { scale: "color", field: "series" },
            size: { value: 50 },
          },
        },
      },
      {
        type: "text",
        name: "setting-labels",
        from: { data: "sweep" },
        encode: {
          enter: {
            x: { scale: "x", field: "zeroShot", offset: 6 },
            y: { scale: "y", field: "target", offset: -6 },
            text: { field: "label" },
            fontSize: { value: 10 },
            fill: { value: "#333" },
          },
        },
      },
      {
        type: "symbol",
        name: "references",
        from: { data: "refs" },
        encode: {
          enter: {
            x: { scale: "x", field: "zeroShot" },
            y: { scale: "y", field: "target" },
            shape: { value: "cross" },
            fill: { value: "#555" },
            size: { value: 80 },
          },
        },
      },
      {
        type: "text",
        name: "reference-labels",
        from: { data: "refs" },
        encode: {
          enter: {
            x: { scale: "x", field: "zeroShot", offset: 8 },
            y: { scale: "y", field: "target", offset: 10 },
            text: { field: "label" },
            fontSize: { value: 10 },
            fill: { value: "#555" },
          },
        },
      },
    ],
  }
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

/**
 * Renders a spec to an SVG document (headless: no browser, no canvas).
 *
 * @since 0.1.0
 * @category utils
 */
export const renderSvg = (spec: vega.Spec, plot = "plot"): Effect.Effect<string, PlotError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const v = await import("vega")
        return new v.View(v.parse(spec), { renderer: "none", logLevel: v.Error })
      },
      catch: (cause) => new PlotError({ plot, reason: `invalid vega spec: ${String(cause)}`, cause }),
    }),
    (view) => Effect.tryPromise({ try: () => view.toSVG(), catch: (cause) => new PlotError({ plot, reason: `rendering failed: ${String(cause)}`, cause }) }),
    (view) => Effect.sync(() => view.finalize()),
  )

/**
 * Rasterises an SVG document to PNG with sharp (librsvg); `density` 144 is
 * twice the SVG's pixel size.
 *
 * @since 0.1.0
 * @category utils
 */
export const svgToPng = (svg: string, density = 144, plot = "plot"): Effect.Effect<Uint8Array, PlotError> =>
  Effect.tryPromise({
    try: async () => {
      const { default: sharp } = await import("sharp")
      return sharp(Buffer.from(svg), { density }).flatten({ background: "#ffffff" }).png().toBuffer()
    },
    catch: (cause) => new PlotError({ plot, reason: `PNG rasterisation failed: ${String(cause)}`, cause }),
  })

/**
 * Renders plots into `dir` as `NAME.svg` (and `NAME.png` with `png`), and
 * returns the paths written.
 *
 * @since 0.1.0
 * @category utils
 */
export const writePlots = (
  dir: string,
  plots: ReadonlyArray<Plot>,
  options: { readonly png?: boolean } = {},
): Effect.Effect<ReadonlyArray<string>, PlotError> =>
  Effect.gen(function* () {
    yield* Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true }),
      catch: (cause) => new PlotError({ plot: dir, reason: `cannot create the plot directory`, cause }),
    })
    const written: string[] = []
    for (const p of plots) {
      const svg = yield* renderSvg(p.spec, p.name)
      const svgPath = join(dir, `${p.name}.svg`)
      yield* Effect.tryPromise({ try: () => writeFile(svgPath, svg), catch: (cause) => new PlotError({ plot: svgPath, reason: "cannot write", cause }) })
      written.push(svgPath)
      if (options.png) {
        const png = yield* svgToPng(svg, 144, p.name)
        const pngPath = join(dir, `${p.name}.png`)
        yield* Effect.tryPromise({ try: () => writeFile(pngPath, png), catch: (cause) => new PlotError({ plot: pngPath, reason: "cannot write", cause }) })
        written.push(pngPath)
      }
    }
    return written
  })
