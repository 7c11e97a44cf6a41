/**
 * What every plot shares: the vega schema, one look (fonts, background,
 * grid) and the labels of series and sessions.
 *
 * @internal
 */
import { settingLabel } from "../../formats/settingLabel.js"

export const SCHEMA = "https://vega.github.io/schema/vega/v6.json"
export const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

/** Shared look: white background, readable fonts, light grid. */
export const config = {
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
export const seriesLabel = (method: string, setting: Readonly<Record<string, unknown>>): string =>
  Object.keys(setting).length === 0 ? method : `${method} ${settingLabel(setting)}`

export const sessionLabel = (t: number): string => (t < 0 ? "pre" : String(t))
