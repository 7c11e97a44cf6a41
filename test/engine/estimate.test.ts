// The time estimator (src/scheduler/estimate.ts), on hand-computed cases.
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { estimateDuration, makeHistory, median, paramsSettings, paramsShape, wallTime, type Task } from "../../src/scheduler/estimate.js"

describe("stage estimates", () => {
  it("median", () => {
    assert.equal(median([3, 1, 2]), 2)
    assert.equal(median([4, 1, 3, 2]), 2.5)
    assert.equal(median([7]), 7)
  })

  it("shape keeps names and types, settings keep non-numeric values", () => {
    assert.equal(paramsShape({ lr: 0.1, method: { name: "FT" }, tags: [1, "a"] }), '{"lr":"number","method":{"name":"string"},"tags":["number","string"]}')
    assert.equal(paramsSettings({ lr: 0.1, method: { name: "FT" }, on: true, x: null }), '{"lr":"#number","method":{"name":"FT"},"on":true,"x":null}')
  })

  // Newest first, as the run records come.
  const history = makeHistory([
    { params: { lr: 0.1, method: "FT" }, ms: 100 },
    { params: { lr: 0.1, method: "FT" }, ms: 120 },
    { params: { lr: 0.2, method: "FT" }, ms: 300 },
    { params: { lr: 0.1, method: "LwF" }, ms: 1000 }
  ])

  it("same params first: the median of their runs", () => {
    assert.deepEqual(estimateDuration(history, { method: "FT", lr: 0.1 }), { ms: 110, basis: "same params", runs: 2 })
  })

  it("then same settings (numbers free): a new learning rate of FT", () => {
    // FT runs: 100, 120, 300 -> 120
    assert.deepEqual(estimateDuration(history, { lr: 0.5, method: "FT" }), { ms: 120, basis: "same settings", runs: 3 })
  })

  it("then same shape: a method never run, same parameter names and types", () => {
    // all four: 100, 120, 300, 1000 -> (120 + 300) / 2
    assert.deepEqual(estimateDuration(history, { lr: 0.5, method: "ZSCL" }), { ms: 210, basis: "same shape", runs: 4 })
  })

  it("no estimate without history of that shape", () => {
    assert.equal(estimateDuration(history, { lr: 0.5, method: "FT", epochs: 3 }), undefined)
    assert.equal(estimateDuration(makeHistory([]), {}), undefined)
  })

  it("only the latest five runs count; bad durations are ignored", () => {
    const h = makeHistory([10, 20, 30, 40, 50, 1000, 2000].map((ms) => ({ params: { n: 1 }, ms })).concat([{ params: { n: 1 }, ms: Number.NaN }]))
    assert.deepEqual(estimateDuration(h, { n: 1 }), { ms: 30, basis: "same params", runs: 5 })
  })
})

describe("wall time at --jobs N", () => {
  // A(10) -> B(20), C(5) -> D(7) needs B and C; E(30) on its own.
  const tasks: Array<Task> = [
    { ms: 10, deps: [] },
    { ms: 20, deps: [0] },
    { ms: 5, deps: [0] },
    { ms: 7, deps: [1, 2] },
    { ms: 30, deps: [] }
  ]

  it("one job: the sum; the critical path A -> B -> D", () => {
    assert.deepEqual(wallTime(tasks, 1), { ms: 72, criticalMs: 37, criticalPath: [0, 1, 3], totalMs: 72, unknown: 0 })
  })

  it("two jobs: A,E | B at 10 | C at 30 (after E and B) | D at 35 -> 42", () => {
    assert.equal(wallTime(tasks, 2).ms, 42)
  })

  it("three jobs: the critical path bounds it (37)", () => {
    const w = wallTime(tasks, 3)
    assert.equal(w.ms, 37)
    assert.equal(w.ms, w.criticalMs)
  })

  it("a resource serialises its holders: B waits for E's accelerator -> 57", () => {
    const gpu = tasks.map((t, i) => (i === 1 || i === 4 ? { ...t, resources: { accelerator: 1 } } : t))
    // A,E at 0; C at 10-15; E frees the accelerator at 30: B 30-50; D 50-57.
    assert.equal(wallTime(gpu, 3, { accelerator: 1 }).ms, 57)
  })

  it("unknown durations count as 0 and are reported", () => {
    const w = wallTime([{ ms: undefined, deps: [] }, { ms: 4, deps: [0] }], 1)
    assert.deepEqual([w.ms, w.unknown, w.criticalPath], [4, 1, [0, 1]])
    assert.deepEqual(wallTime([], 4), { ms: 0, criticalMs: 0, criticalPath: [], totalMs: 0, unknown: 0 })
  })

  it("stages that take ~0ms: the critical path is the longest chain, not its first stage", () => {
    // Two roots, then a chain of three from the second; every duration 0 (a fast machine's toy stages).
    const zero = [{ ms: 0, deps: [] }, { ms: 0, deps: [] }, { ms: 0, deps: [1] }, { ms: 0, deps: [2] }, { ms: 0, deps: [0] }]
    assert.deepEqual(wallTime(zero, 2).criticalPath, [1, 2, 3])
  })
})
