/**
 * Which stage lines fit on the screen. A pure function from the state and
 * the terminal size to a list of rows, trying ever more compact levels
 * until the rows fit, so a sweep of hundreds of stages stays on one screen:
 *
 * 0. every group open, every stage listed;
 * 1. finished groups (nothing queued, running or failed) folded to one line;
 * 2. every group shows only its running and failed stages, with counts;
 * 3. groups with nothing running or failed folded into one `+ N groups` line;
 * 4. as 3, cut at the budget with a `… N more` line.
 *
 * @since 0.1.0
 */
import { causeLine, countStatuses, type StageView, type UiState } from "./state.js"
import type { DisplayStatus } from "./format.js"

/**
 * One row of the stage list.
 *
 * @since 0.1.0
 * @category models
 */
export type Row =
  | { readonly type: "group"; readonly label: string; readonly counts: Readonly<Record<DisplayStatus, number>>; readonly size: number; readonly open: boolean }
  | { readonly type: "stage"; readonly name: string; readonly indent: boolean }
  | { readonly type: "more"; readonly groups: number; readonly stages: number; readonly counts: Readonly<Record<DisplayStatus, number>> }

/**
 * Width from which a running stage's bar, rate and metrics share one line.
 *
 * @since 0.1.0
 * @category models
 */
export const WIDE = 110

/**
 * Lines of the error block under a failed stage (message, cause, where the log is).
 *
 * @since 0.1.0
 * @category utils
 */
export const errorLines = (s: StageView): number => (s.status === "failed" ? 2 + (causeLine(s.error) ? 1 : 0) : 0)

/**
 * Screen lines one row takes.
 *
 * @since 0.1.0
 * @category utils
 */
export const rowHeight = (row: Row, state: UiState, width: number): number => {
  if (row.type !== "stage") return 1
  const s = state.stages[row.name]!
  if (s.status === "running") return width >= WIDE || s.progress === undefined ? 1 : 2
  return 1 + errorLines(s)
}

/** Running, failed and interrupted stages stay in view when groups fold. */
const isActive = (s: StageView): boolean => s.status === "running" || s.status === "failed" || s.status === "interrupted"
const isFinished = (ss: ReadonlyArray<StageView>): boolean => ss.every((s) => s.status !== "queued" && !isActive(s))

/**
 * The rows for a budget of `lines` screen lines.
 *
 * @since 0.1.0
 * @category utils
 */
export const layoutRows = (state: UiState, width: number, lines: number): ReadonlyArray<Row> => {
  const groups = state.groups.map((g) => ({ label: g.label, stages: g.stages.map((n) => state.stages[n]!) }))
  // A single group needs no header when it is the depth-0 group of a flat pipeline.
  const single = groups.length === 1
  const header = (g: (typeof groups)[number], open: boolean): Array<Row> =>
    single && open ? [] : [{ type: "group", label: g.label, counts: countStatuses(g.stages), size: g.stages.length, open }]
  const stageRows = (ss: ReadonlyArray<StageView>): Array<Row> => ss.map((s) => ({ type: "stage", name: s.name, indent: !single }))
  const height = (rows: ReadonlyArray<Row>) => rows.reduce((h, r) => h + rowHeight(r, state, width), 0)

  const level0 = groups.flatMap((g) => [...header(g, true), ...stageRows(g.stages)])
  if (height(level0) <= lines) return level0
  const level1 = groups.flatMap((g) => (isFinished(g.stages) ? header(g, false) : [...header(g, true), ...stageRows(g.stages)]))
  if (height(level1) <= lines) return level1
  const level2 = groups.flatMap((g) => {
    const active = g.stages.filter(isActive)
    return active.length ? [...header(g, true), ...stageRows(active)] : header(g, false)
  })
  if (height(level2) <= lines) return level2
  const quiet = groups.filter((g) => !g.stages.some(isActive))
  const more: Row = {
    type: "more",
    groups: quiet.length,
    stages: quiet.reduce((n, g) => n + g.stages.length, 0),
    counts: countStatuses(quiet.flatMap((g) => g.stages))
  }
  const activeGroups = groups.filter((g) => g.stages.some(isActive))
  const unit = (g: (typeof groups)[number]): Array<Row> => [...header(g, true), ...stageRows(g.stages.filter(isActive))]
  const level3 = [...activeGroups.flatMap(unit), ...(quiet.length ? [more] : [])]
  if (height(level3) <= lines) return level3
  // Level 4: whole groups while they fit (the last one cut at the budget), then one line for the rest.
  const kept: Array<Row> = []
  let used = 0
  const rest: Array<StageView> = quiet.flatMap((g) => g.stages)
  let restGroups = quiet.length
  let cutting = false
  for (const g of activeGroups) {
    const rows = unit(g)
    if (!cutting && used + height(rows) <= lines - 1) {
      kept.push(...rows)
      used += height(rows)
      continue
    }
    if (!cutting) {
      cutting = true
      // The first group that does not fit: as many of its rows as fit, its other stages counted below.
      const partial: Array<Row> = []
      let h = used
      for (const r of rows) {
        const rh = rowHeight(r, state, width)
        if (h + rh > lines - 1) break
        partial.push(r)
        h += rh
      }
      if (partial.some((r) => r.type === "stage")) {
        kept.push(...partial)
        used = h
        const shown = new Set(partial.flatMap((r) => (r.type === "stage" ? [r.name] : [])))
        rest.push(...g.stages.filter((x) => !shown.has(x.name)))
        continue
      }
    }
    rest.push(...g.stages)
    restGroups++
  }
  kept.push({ type: "more", groups: restGroups, stages: rest.length, counts: countStatuses(rest) })
  return kept
}
