// `clipcl plan`'s text without ink: the same plan with and without colour, cut to the width, and
// the expected-duration column only where history gives one.
import assert from "node:assert/strict"
import { test } from "node:test"
import type { PlannedStage } from "../../src/scheduler/Event.js"
import { stripAnsi } from "../../src/ui/format.js"
import { renderPlan } from "../../src/ui/planText.js"
import { planned } from "./events.js"

test("plan text: colour is ANSI escapes around the plain text, nothing else", () => {
  const coloured = renderPlan(planned, { width: 80, color: true })
  assert.ok(coloured.includes("\u001b[36m◆\u001b[39m"), "cached in the live view's cyan")
  assert.ok(coloured.includes("\u001b[34m▾ \u001b[39m\u001b[1mdim=4\u001b[22m"), "group headers in blue and bold")
  const plain = renderPlan(planned, { width: 80 })
  assert.ok(!plain.includes("\u001b"))
  assert.equal(stripAnsi(coloured).split("\n").map((l) => l.trimEnd()).join("\n"), plain)
})

test("plan text: every line fits the width; names and reasons are cut with an ellipsis", () => {
  const long: ReadonlyArray<PlannedStage> = [
    { stage: "a-stage-with-a-name-far-too-long-for-the-column", key: "0123456789abcdef", kind: "k", deps: [], action: "run", reasons: ["params changed: a, b, c, d, e, f, g, h, i, j, k, l"] }
  ]
  const text = renderPlan(long, { width: 50 })
  const lines = text.trimEnd().split("\n")
  for (const l of lines) assert.ok(l.length <= 50, `${JSON.stringify(l)} is ${l.length} columns`)
  // the name gets 30% of 50 columns (15), the reasons the 14 left after the fixed columns
  assert.equal(lines[0], " ○ a-stage-with-a… run    01234567  params change…")
  assert.equal(lines[0]!.length, 50)
  assert.equal(lines[1], "1 stage: 1 to run, 0 cached")
})

test("plan text: the expected-duration column appears only when a stage to run has an estimate", () => {
  const withEstimate: ReadonlyArray<PlannedStage> = [
    { stage: "train", key: "eeee3333", kind: "train", deps: [], action: "run", reasons: ["never ran"], expectedMs: 4000, estimate: { basis: "same params", runs: 3 } },
    { stage: "eval", key: "ffff4444", kind: "eval", deps: ["train"], action: "run", reasons: ["never ran"] }
  ]
  assert.deepEqual(renderPlan(withEstimate, { width: 80 }).split("\n").slice(0, 4), [
    "▾ depth 0 (1)",
    "   ○ train  run    eeee3333  ~4.0s   never ran",
    "▾ depth 1 (1)",
    "   ○ eval   run    ffff4444          never ran"
  ])
  assert.ok(!renderPlan(planned, { width: 80 }).includes("~"), "no estimate basis: no column (expectedMs alone is not history)")
})
