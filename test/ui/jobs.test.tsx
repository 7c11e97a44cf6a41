// Stages that run as cluster jobs (`--executor slurm`): the live view and
// plain lines show each job's id, cluster state, node, queue wait and run
// time, from the executor's stage events.
import "./outsideCi.js"
import { strict as assert } from "node:assert"
import { describe, it } from "node:test"
import { makePlainLogger } from "../../src/ui/plain.js"
import { renderFrame } from "../../src/ui/render.js"
import { reduce, replay } from "../../src/ui/state.js"
import { plan, progress, st, T0 } from "./events.js"

const slurm = (jobId: string, extra: Record<string, unknown> = {}) => ({ executor: "slurm", jobId, attempt: 1, ...extra })
const lineWith = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? ""

/** square ran as job 11; train runs as job 12 (pending 1 s, then running on n2); features[dim=4] waits as job 13. */
const jobsRun = [
  plan(),
  st("numbers", "cached", 1, { savedMs: 20 }),
  st("square", "running", 10, slurm("11", { jobState: "PENDING" })),
  st("square", "running", 410, slurm("11", { jobState: "RUNNING", node: "n1", queueWaitMs: 400 })),
  st("square", "ran", 1910, { ...slurm("11", { node: "n1", queueWaitMs: 400 }), durationMs: 1300 }),
  st("train", "running", 2000, slurm("12", { jobState: "PENDING" })),
  st("train", "running", 3000, slurm("12", { jobState: "RUNNING", node: "n2", queueWaitMs: 1000 })),
  progress("train", 2, 10, 5000, { loss: 0.9 }),
  st("features[dim=4]", "running", 4000, slurm("13", { jobState: "PENDING" }))
]

describe("ui: stages running as cluster jobs", () => {
  it("the live view shows job id, state, node, queue wait and run time", () => {
    const state = reduce(replay(jobsRun), { type: "tick", now: T0 + 9000 })
    const f = renderFrame(state, { width: 120, height: 30 })
    // Running: the queue wait as measured, the run time counted from RUNNING (3.0 s -> 9.0 s).
    assert.match(lineWith(f, " train "), /2\/10\s+20% .*slurm 12 RUNNING on n2 · queued 1\.0s · run 0:06/)
    // Pending: the queue wait counts up from the submission (4.0 s -> 9.0 s), no run time yet.
    assert.match(lineWith(f, "features"), /running · slurm 13 PENDING · queued 0:05$/)
    assert.ok(!/run 0:/.test(lineWith(f, "features")))
    // Ended: the stage's time is the job's run time; then the job, node and queue wait.
    assert.match(lineWith(f, "square"), /✓ square\s+1\.3s · slurm 11 on n1 · queued 400ms/)
    // The stage started at its first `running` event, not at the job's later state changes.
    assert.equal(state.stages.train!.startedAt, T0 + 2000)
  })

  it("fits 80 columns (the job moves to the detail line under the bar)", () => {
    const f = renderFrame(reduce(replay(jobsRun), { type: "tick", now: T0 + 9000 }), { width: 80, height: 30 })
    for (const l of f.split("\n")) assert.ok(l.length <= 80, `too wide: ${l}`)
    assert.match(f, /\n\s+slurm 12 RUNNING on n2 · queued 1\.0s · run 0:06/)
  })

  it("a failed job shows Slurm's end state; a retry shows its attempt and starts afresh", () => {
    const events = [
      ...jobsRun,
      st("features[dim=4]", "running", 5000, slurm("14", { attempt: 2, jobState: "PENDING" })),
      st("train", "failed", 8000, { ...slurm("12", { node: "n2", queueWaitMs: 1000, jobState: "TIMEOUT" }), durationMs: 6000, error: { message: "job 12 ran out of time (Slurm: TIMEOUT, reason TimeLimit); raise the time limit" } })
    ]
    const state = reduce(replay(events), { type: "tick", now: T0 + 9000 })
    const f = renderFrame(state, { width: 120, height: 30 })
    assert.match(lineWith(f, "✗ train"), /failed after 6\.0s · slurm 12 TIMEOUT on n2 · queued 1\.0s/)
    assert.match(f, /job 12 ran out of time \(Slurm: TIMEOUT, reason TimeLimit\); raise the time limit/)
    // The new job's queue wait counts from its own submission (5.0 s), not the first attempt's.
    assert.match(lineWith(f, "features"), /slurm 14 \(attempt 2\) PENDING · queued 0:04$/)
  })

  it("a local stage shows no job", () => {
    const state = replay([plan(), st("square", "running", 10), st("square", "ran", 90, { executor: "local", durationMs: 80 })])
    assert.equal(state.stages.square!.job, undefined)
    assert.match(lineWith(renderFrame(state), "square"), /✓ square\s+80ms$/)
  })

  it("plain lines carry job id, state, node, queue wait and run time", () => {
    const out: Array<string> = []
    const logger = makePlainLogger((t) => out.push(t))
    for (const e of jobsRun.slice(5, 7)) logger(e)
    logger(jobsRun[4]!)
    logger(st("train", "failed", 8000, { ...slurm("12", { node: "n2", queueWaitMs: 1000, jobState: "TIMEOUT" }), durationMs: 6000, error: { message: "job 12 ran out of time" } }))
    assert.deepEqual(out, [
      "[start]   train [slurm 12 PENDING]\n",
      "[start]   train [slurm 12 RUNNING on n2, queued 1.0s]\n",
      "[ran]     square (1.3s) [slurm 11 on n1, queued 400ms]\n",
      "[FAILED]  train (after 6.0s) [slurm 12 TIMEOUT on n2, queued 1.0s]: job 12 ran out of time\n"
    ])
  })
})
