import { strict as assert } from "node:assert"
import { describe, it } from "node:test"
import {
  causeLine,
  countStatuses,
  depths,
  displayStatus,
  focusedStage,
  groupStages,
  initialState,
  LOG_LINES_KEPT,
  overall,
  reduce,
  replay,
  stageEta,
  stageRate
} from "../../src/ui/state.js"
import { log, midRun, plan, planned, progress, st, T0 } from "./events.js"

describe("ui state: grouping", () => {
  it("groups by sweep label, shared stages first, depth order inside a group", () => {
    const g = groupStages(planned)
    assert.equal(g.grouping, "branch")
    assert.deepEqual(
      g.groups.map((x) => [x.label, x.stages]),
      [
        ["common", ["numbers", "square", "train"]],
        ["dim=4", ["features[dim=4]", "summary[dim=4]"]],
        ["dim=16", ["features[dim=16]", "summary[dim=16]"]]
      ]
    )
    assert.equal(g.stages["summary[dim=16]"]!.shortName, "summary")
    assert.equal(g.stages["summary[dim=16]"]!.depth, 3)
  })

  it("groups by DAG depth when no stage is in a sweep", () => {
    const flat = planned.filter((p) => p.group === undefined).concat([{ stage: "other", key: "o", kind: "o", deps: ["numbers"], action: "run", reasons: [] }])
    const g = groupStages(flat)
    assert.equal(g.grouping, "depth")
    assert.deepEqual(
      g.groups.map((x) => [x.label, x.stages]),
      [
        ["depth 0", ["numbers"]],
        ["depth 1", ["square", "other"]],
        ["depth 2", ["train"]]
      ]
    )
  })

  it("depths ignore dependencies outside the plan and survive cycles", () => {
    const d = depths([
      { stage: "a", deps: ["outside"] },
      { stage: "b", deps: ["a"] },
      { stage: "c", deps: ["d"] },
      { stage: "d", deps: ["c"] }
    ])
    assert.equal(d.get("a"), 0)
    assert.equal(d.get("b"), 1)
    assert.ok(d.has("c") && d.has("d"))
  })
})

describe("ui state: reducer", () => {
  it("follows stages through their states and keeps times", () => {
    const s = replay(midRun)
    assert.equal(s.pipeline, "example-toy")
    assert.equal(s.backend, "native")
    assert.equal(s.stages["numbers"]!.status, "cached")
    assert.equal(s.stages["numbers"]!.savedMs, 20)
    assert.equal(s.stages["square"]!.status, "ran")
    assert.equal(s.stages["square"]!.durationMs, 80)
    assert.equal(s.stages["train"]!.status, "running")
    assert.equal(s.stages["train"]!.startedAt, T0 + 100)
    assert.deepEqual(s.stages["train"]!.metrics, { loss: 0.9, accuracy: 0.5 })
    assert.equal(s.stages["features[dim=16]"]!.error?.cause, "ShapeError: rank mismatch")
    assert.equal(s.now, T0 + 1350)
    assert.equal(s.maxRunning, 2)
    assert.deepEqual(countStatuses(Object.values(s.stages)), { queued: 2, planned: 0, running: 2, cached: 1, ran: 1, failed: 1, skipped: 0, interrupted: 0 })
  })

  it("measures the rate from the first progress report and estimates the time left", () => {
    const s = replay(midRun)
    const train = s.stages["train"]!
    // 3 steps in 900 ms.
    assert.ok(Math.abs(stageRate(train)! - 3.3333) < 1e-3)
    // 6 steps left at 3.33/s = 1800 ms, less the 50 ms since the last report.
    assert.equal(Math.round(stageEta(train, T0 + 1350)!), 1750)
    // Without a rate: the expected duration less the elapsed time.
    const f4 = s.stages["features[dim=4]"]!
    assert.equal(stageRate(f4), undefined)
    assert.equal(stageEta(f4, T0 + 1350), undefined)
    const withExpected = { ...f4, expectedMs: 2000 }
    assert.equal(stageEta(withExpected, T0 + 1100), 1000)
  })

  it("restarts the rate when a stage's step goes backwards (a new phase)", () => {
    const s = replay([plan(), st("train", "running", 0), progress("train", 8, 10, 100), progress("train", 9, 10, 200), progress("train", 1, 5, 300)])
    const p = s.stages["train"]!.progress!
    assert.deepEqual([p.firstStep, p.step, p.total, p.firstTime], [1, 1, 5, T0 + 300])
  })

  it("keeps the last log lines of each stage", () => {
    let s = replay([plan()])
    for (let i = 0; i < LOG_LINES_KEPT + 7; i++) s = reduce(s, log("train", `line ${i}`, i))
    const logs = s.stages["train"]!.logs
    assert.equal(logs.length, LOG_LINES_KEPT)
    assert.equal(logs[logs.length - 1]!.line, `line ${LOG_LINES_KEPT + 6}`)
    assert.equal(logs[0]!.line, "line 7")
  })

  it("moves the focus between running stages only, wrapping around", () => {
    const s = replay(midRun)
    assert.equal(focusedStage(s)?.name, "train")
    const down = reduce(s, { type: "focus", delta: 1 })
    assert.equal(focusedStage(down)?.name, "features[dim=4]")
    assert.equal(focusedStage(reduce(down, { type: "focus", delta: 1 }))?.name, "train")
    assert.equal(focusedStage(reduce(s, { type: "focus", delta: -1 }))?.name, "features[dim=4]")
    // When the focused stage finishes, the focus falls to the next running one.
    const finished = reduce(down, st("features[dim=4]", "ran", 1400, { durationMs: 1300 }))
    assert.equal(focusedStage(finished)?.name, "train")
    // With nothing running, focus keys change nothing.
    const idle = replay([plan()])
    assert.equal(reduce(idle, { type: "focus", delta: 1 }), idle)
  })

  it("without running stages focuses the latest real failure", () => {
    const s = replay([...midRun, st("train", "ran", 2000), st("features[dim=4]", "interrupted", 2000)])
    assert.equal(focusedStage(s)?.name, "features[dim=16]")
    assert.equal(displayStatus(s.stages["features[dim=4]"]!), "interrupted")
    assert.equal(displayStatus(s.stages["features[dim=16]"]!), "failed")
  })

  it("toggles the log pane, marks stopping, stores the summary and results", () => {
    let s = replay(midRun)
    assert.equal(s.showLogs, true)
    s = reduce(s, { type: "toggleLogs" })
    assert.equal(s.showLogs, false)
    s = reduce(s, { type: "stopping" })
    assert.equal(s.stopping, true)
    s = reduce(s, { type: "summary", ran: 1, cached: 1, failed: 1, interruptedStages: 1, skipped: 2, durationMs: 3000, savedMs: 20, interrupted: true, time: T0 + 3000 })
    assert.equal(s.summary?.interrupted, true)
    s = reduce(s, { type: "results", table: { header: ["a"], rows: [["1"]], numeric: [true] } })
    assert.deepEqual(s.results?.rows, [["1"]])
  })

  it("shows events for stages the plan did not list in an `other` group", () => {
    const s = replay([plan(), st("surprise", "running", 5)])
    assert.equal(s.stages["surprise"]!.status, "running")
    assert.deepEqual(s.groups[s.groups.length - 1], { label: "other", stages: ["surprise"] })
    assert.equal(s.order[s.order.length - 1], "surprise")
  })

  it("ticks move the clock forward only", () => {
    const s = replay([plan(), { type: "tick", now: T0 + 500 }, { type: "tick", now: T0 + 100 }])
    assert.equal(s.now, T0 + 500)
    assert.equal(initialState(7).now, 7)
  })
})

describe("ui state: failures", () => {
  it("shows the first line of a cause, unless it repeats the message", () => {
    assert.equal(causeLine({ message: "boom went off", cause: "Error: boom went off\n    at run (x.ts:1:1)" }), undefined)
    assert.equal(causeLine({ message: "stage train failed", cause: "\nShapeError: rank 2 vs 3\n    at f" }), "ShapeError: rank 2 vs 3")
    assert.equal(causeLine({ message: "x" }), undefined)
    assert.equal(causeLine(undefined), undefined)
  })
})

describe("ui state: overall progress", () => {
  it("weights stages by expected time, leaves cached ones out and divides by parallelism", () => {
    const s = replay(midRun)
    const o = overall(s)
    assert.equal(o.done, 3)
    assert.equal(o.total, 7)
    assert.equal(o.elapsedMs, 1350)
    // Unfinished features/summary stages have no estimate: the time left is a lower bound.
    assert.equal(o.remainingExact, false)
    // train: 1750 ms left by its rate. Two stages ran at once, but the summaries wait for train:
    // the time left is train's, not the work shared over two slots (1750 / 2).
    assert.equal(Math.round(o.remainingMs!), 1750)
    assert.ok(o.fraction > 0 && o.fraction < 1)
  })

  it("is exact and complete when every stage finished", () => {
    const s = replay([
      plan(),
      ...planned.map((p, i) => st(p.stage, p.action === "cached" ? "cached" : "ran", 10 * i, { durationMs: 10 })),
      { type: "summary", ran: 6, cached: 1, failed: 0, interruptedStages: 0, skipped: 0, durationMs: 70, savedMs: 20, interrupted: false, time: T0 + 70 }
    ])
    const o = overall(s)
    assert.equal(o.fraction, 1)
    assert.equal(o.done, 7)
    assert.equal(o.remainingMs, undefined)
    assert.equal(o.elapsedMs, 70)
  })

  it("time left is the expected wall time at the plan's --jobs: independent stages share slots", () => {
    const stages = ["a", "b", "c"].map((n) => ({ stage: n, key: n, kind: "fit", deps: [], action: "run" as const, reasons: [], expectedMs: 1000 }))
    const chain = [{ ...stages[0]! }, { ...stages[1]!, deps: ["a"] }, { ...stages[2]!, deps: ["b"] }]
    // 3 × 1 s, 2 at once: 2 s; as a chain: 3 s whatever the jobs.
    assert.equal(overall(replay([{ ...plan(stages), jobs: 2 } as any])).remainingMs, 2000)
    assert.equal(overall(replay([{ ...plan(stages), jobs: 3 } as any])).remainingMs, 1000)
    assert.equal(overall(replay([{ ...plan(chain), jobs: 3 } as any])).remainingMs, 3000)
    // a has run 400 ms of its 1000: b and c start as it ends (one slot free meanwhile).
    const s = replay([{ ...plan(stages), jobs: 2 } as any, st("a", "running", 0), { type: "tick", now: T0 + 400 }])
    // a: 600 left; b 0-1000 in the other slot; c after a: 600 + 1000.
    assert.equal(overall(s).remainingMs, 1600)
    assert.equal(overall(s).remainingExact, true)
  })

  it("estimates queued stages from stages of the same kind that ran", () => {
    const stages = [
      { stage: "a[s=1]", key: "1", kind: "fit", deps: [], action: "run" as const, reasons: [], group: "s=1" },
      { stage: "a[s=2]", key: "2", kind: "fit", deps: [], action: "run" as const, reasons: [], group: "s=2" }
    ]
    const s = replay([plan(stages), st("a[s=1]", "running", 0), st("a[s=1]", "ran", 1000, { durationMs: 1000 })])
    const o = overall(s)
    assert.equal(o.remainingMs, 1000)
    assert.equal(o.remainingExact, true)
    assert.equal(o.fraction, 0.5)
  })
})

describe("ui store", () => {
  it("coalesces engine events but passes keys and the summary at once", async () => {
    const { makeStore } = await import("../../src/ui/store.js")
    const store = makeStore(replay(midRun), 40)
    let heard = 0
    const off = store.subscribe(() => heard++)
    store.dispatch(progress("train", 5, 10, 1400))
    store.dispatch(progress("train", 6, 10, 1500))
    store.dispatch(log("train", "x", 1500))
    assert.equal(heard, 0)
    assert.equal(store.get().stages["train"]!.progress?.step, 6)
    store.dispatch({ type: "toggleLogs" })
    assert.equal(heard, 1)
    store.dispatch(progress("train", 7, 10, 1600))
    await new Promise((r) => setTimeout(r, 80))
    assert.equal(heard, 2)
    // An action that changes nothing notifies nobody.
    store.dispatch({ type: "focus", delta: 1 })
    const before = heard
    store.dispatch({ type: "tick", now: 0 })
    assert.equal(heard, before)
    off()
    store.dispatch({ type: "toggleLogs" })
    assert.equal(heard, before)
  })
})
