/**
 * Target vs. zero-shot accuracy over a sweep of one parameter.
 *
 * @since 0.1.0
 */
import type * as vega from "vega"
import type { ResultRow } from "../results.js"
import { config, SCHEMA, seriesLabel } from "./style.js"

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
