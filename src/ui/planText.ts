/**
 * `clipcl plan` as text: the planned stages grouped as in the live view
 * (`groupStages`), with its status symbols (`○ run` / `◆ cached`), short
 * key, expected duration and reasons. Plain strings, not ink: `plan` is
 * run over and over while a pipeline is edited, and loading ink and React
 * would cost more than the rest of its start-up.
 *
 * @since 0.1.0
 */
import type { PlannedStage } from "../scheduler/Event.js"
import { shortDuration, statusStyle, truncate, type DisplayStatus } from "./format.js"
import { groupStages } from "./state.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanTextOptions {
  /** Columns (default 80). */
  readonly width?: number
  /** Colour with ANSI escapes, as the live view does. Default false. */
  readonly color?: boolean
}

/** SGR codes of the colours the views use (the terminal's palette, as ink's names map to it). */
const FG: Readonly<Record<string, number>> = { gray: 90, white: 37, yellow: 33, cyan: 36, green: 32, red: 31, blue: 34, magenta: 35 }

type Paint = (text: string, style: { readonly color?: string; readonly dim?: boolean; readonly bold?: boolean }) => string

const ansi: Paint = (text, style) => {
  if (text === "") return text
  let out = text
  if (style.color !== undefined) out = `\u001b[${FG[style.color] ?? 39}m${out}\u001b[39m`
  if (style.dim === true) out = `\u001b[2m${out}\u001b[22m`
  if (style.bold === true) out = `\u001b[1m${out}\u001b[22m`
  return out
}

const plain: Paint = (text) => text

/** Columns for stage names: the longest name, within 6 and 30% of the width (as the live view). */
const nameWidth = (names: ReadonlyArray<string>, width: number): number =>
  Math.max(6, Math.min(Math.floor(width * 0.3), Math.max(0, ...names.map((n) => n.length))))

/**
 * The plan as text, one line per stage under its group's header, then the
 * counts; lines end without trailing blanks, the text with one newline.
 *
 * @since 0.1.0
 * @category utils
 */
export const renderPlan = (stages: ReadonlyArray<PlannedStage & { readonly provisional?: boolean }>, options: PlanTextOptions = {}): string => {
  const width = options.width ?? 80
  const paint = options.color === true ? ansi : plain
  const { groups } = groupStages(stages)
  const byName = new Map(stages.map((s) => [s.stage, s]))
  const single = groups.length === 1
  const cols = nameWidth(stages.map((s) => s.stage), width)
  const run = stages.filter((s) => s.action === "run").length
  const provisional = stages.some((s) => s.provisional === true)
  // An expected-duration column only when some stage to run has an estimate from history.
  const estimates = stages.some((s) => s.action === "run" && s.estimate !== undefined)
  const lead = single ? " " : "   "
  const used = lead.length + 2 + cols + 1 + 6 + 1 + 8 + 2 + (estimates ? 8 : 0)
  const line = (s: PlannedStage & { readonly provisional?: boolean }): string => {
    const status: DisplayStatus = s.action === "run" ? "planned" : "cached"
    const st = statusStyle[status]
    const expected = s.action === "run" && s.estimate !== undefined && s.expectedMs !== undefined ? `~${shortDuration(s.expectedMs)}` : ""
    // Cut to the width as a whole (the reasons are cut first), measured without the colours.
    const parts: Array<readonly [string, Parameters<Paint>[1]]> = [
      [lead, {}],
      [st.symbol, { color: st.color, dim: st.dim === true }],
      [` ${truncate(s.stage, cols).padEnd(cols)} `, {}],
      [(s.action === "run" ? "run" : "cached").padEnd(6), { color: st.color }],
      [" ", {}],
      [s.key.slice(0, 8).padEnd(8), { dim: true }],
      [s.provisional === true ? "* " : "  ", {}],
      [estimates ? expected.padEnd(8) : "", { color: "magenta" }],
      [truncate(s.reasons.join("; "), width - used), {}]
    ]
    let room = width
    let out = ""
    for (const [text, style] of parts) {
      const shown = text.length <= room ? text : truncate(text, room)
      room -= shown.length
      out += paint(shown, style)
      if (room <= 0) break
    }
    return out
  }
  const out: Array<string> = []
  for (const g of groups) {
    if (!single) out.push(`${paint("▾ ", { color: "blue" })}${paint(g.label, { bold: true })}${paint(` (${g.stages.length})`, { dim: true })}`)
    for (const n of g.stages) out.push(line(byName.get(n)!))
  }
  const n = stages.length
  out.push(
    `${n} stage${n === 1 ? "" : "s"}: ${paint(`${run} to run`, { color: statusStyle.planned.color })}, ${paint(`${n - run} cached`, { color: statusStyle.cached.color })}` +
      (provisional ? " (* provisional key: an input will be recomputed)" : "")
  )
  return out.map((l) => l.trimEnd()).join("\n") + "\n"
}
