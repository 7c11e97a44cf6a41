/**
 * Target and zero-shot accuracy after each session, one curve per
 * method/setting.
 *
 * @since 0.1.0
 */
import type * as vega from "vega"
import type { SessionPoint } from "../results.js"
import { config, SCHEMA, seriesLabel, sessionLabel } from "./style.js"

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
