/**
 * The accuracy-matrix heat map.
 *
 * @since 0.1.0
 */
import type * as vega from "vega"
import type { AccuracyMatrix } from "../continual.js"
import { config, SCHEMA, sessionLabel } from "./style.js"

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
