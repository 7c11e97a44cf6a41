import { strict as assert } from "node:assert"
import { describe, it } from "node:test"
import { layoutRows, rowHeight, type Row } from "../../src/ui/layout.js"
import { renderFrame } from "../../src/ui/render.js"
import { replay, type UiState } from "../../src/ui/state.js"
import { midRun, plan, st, sweepPlan } from "./events.js"

const height = (rows: ReadonlyArray<Row>, s: UiState, width: number) => rows.reduce((h, r) => h + rowHeight(r, s, width), 0)
const kinds = (rows: ReadonlyArray<Row>) => rows.map((r) => (r.type === "group" ? `${r.open ? "▾" : "▸"}${r.label}` : r.type === "stage" ? r.name : `+${r.groups}/${r.stages}`))

/** A sweep of `n` settings: the first `done` finished, the next `running` running their first step. */
const sweepState = (n: number, done: number, running: number): UiState => {
  const stages = sweepPlan(n)
  const events = [plan(stages), st("data", "ran", 1, { durationMs: 1 })]
  for (let i = 0; i < done; i++) for (let j = 0; j < 3; j++) events.push(st(`step${j}[seed=${i}]`, "ran", 10, { durationMs: 5 }))
  for (let i = done; i < done + running; i++) events.push(st(`step0[seed=${i}]`, "running", 20))
  return replay(events)
}

describe("ui layout: fitting the stage list to the screen", () => {
  it("lists every stage when there is room", () => {
    const s = replay(midRun)
    const rows = layoutRows(s, 80, 40)
    assert.deepEqual(kinds(rows), ["▾common", "numbers", "square", "train", "▾dim=4", "features[dim=4]", "summary[dim=4]", "▾dim=16", "features[dim=16]", "summary[dim=16]"])
    // A running stage with progress takes two lines below 110 columns, one from 110 (one without
    // progress); a failure adds message, cause, log hint.
    assert.equal(height(rows, s, 80), 10 + 1 + 3)
    assert.equal(height(rows, s, 120), 10 + 3)
  })

  it("folds finished groups first", () => {
    const s = sweepState(6, 4, 1)
    const rows = layoutRows(s, 80, 14)
    assert.deepEqual(kinds(rows).slice(0, 6), ["▸common", "▸seed=0", "▸seed=1", "▸seed=2", "▸seed=3", "▾seed=4"])
    assert.ok(height(rows, s, 80) <= 14)
  })

  it("keeps a sweep of hundreds of stages within the budget, running stages shown", () => {
    for (const [n, running, budget] of [[200, 3, 12], [300, 8, 10], [150, 40, 6]] as const) {
      const s = sweepState(n, 50, running)
      const rows = layoutRows(s, 80, budget)
      assert.ok(height(rows, s, 80) <= budget, `${n}/${running}/${budget}: ${height(rows, s, 80)} lines`)
      const last = rows[rows.length - 1]!
      assert.equal(last.type, "more")
      // Every stage is in a group line or counted in the one `more` line.
      assert.equal(rows.filter((r) => r.type === "more").length, 1)
      const accounted = rows.reduce((k, r) => k + (r.type === "group" ? r.size : r.type === "more" ? r.stages : 0), 0)
      assert.ok(accounted >= n * 3 + 1, `${n}: ${accounted}`)
      if (running * 2 + 3 <= budget) {
        const names = rows.filter((r) => r.type === "stage").map((r) => (r as { name: string }).name)
        for (let i = 50; i < 50 + running; i++) assert.ok(names.includes(`step0[seed=${i}]`), `seed ${i} running but not shown`)
      }
    }
  })

  it("a frame of a 300-stage sweep fits 80x24", () => {
    const s = sweepState(100, 30, 4)
    const frame = renderFrame(s, { width: 80, height: 24 })
    const lines = frame.trimEnd().split("\n")
    assert.ok(lines.length <= 24, `${lines.length} lines`)
    for (const l of lines) assert.ok(l.length <= 80, l)
    assert.match(frame, /more groups/)
    assert.match(frame, /91\/301 stages/)
  })
})
