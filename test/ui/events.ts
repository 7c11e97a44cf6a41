// Event fixtures for the UI tests: a plan shaped like the example pipeline
// (three shared stages, a two-setting sweep) and helpers to build events.
import type { EngineEvent, PlannedStage, StageStatus } from "../../src/scheduler/Event.js"

export const T0 = 1_700_000_000_000

export const planned: ReadonlyArray<PlannedStage> = [
  { stage: "numbers", key: "aaaa1111bbbb", kind: "numbers", deps: [], action: "cached", reasons: [], expectedMs: 20 },
  { stage: "square", key: "cccc2222dddd", kind: "square", deps: ["numbers"], action: "run", reasons: ["params changed: k"], expectedMs: 100 },
  { stage: "train", key: "eeee3333ffff", kind: "train", deps: ["square"], action: "run", reasons: ["never ran"], expectedMs: 4000 },
  { stage: "features[dim=4]", key: "f4", kind: "features", deps: ["numbers"], action: "run", reasons: ["never ran"], group: "dim=4" },
  { stage: "summary[dim=4]", key: "s4", kind: "summary", deps: ["features[dim=4]", "train"], action: "run", reasons: ["never ran"], group: "dim=4" },
  { stage: "features[dim=16]", key: "f16", kind: "features", deps: ["numbers"], action: "run", reasons: ["never ran"], group: "dim=16" },
  { stage: "summary[dim=16]", key: "s16", kind: "summary", deps: ["features[dim=16]", "train"], action: "run", reasons: ["never ran"], group: "dim=16" }
]

export const plan = (stages: ReadonlyArray<PlannedStage> = planned, backend: string | undefined = "native"): EngineEvent => ({
  type: "plan",
  pipeline: "example-toy",
  stages,
  ...(backend ? { backend } : {}),
  time: T0
})

export const st = (stage: string, status: StageStatus, at: number, extra: Partial<Extract<EngineEvent, { type: "stage" }>> = {}): EngineEvent => ({
  type: "stage",
  stage,
  key: "k",
  status,
  time: T0 + at,
  ...extra
})

export const progress = (stage: string, step: number, total: number, at: number, metrics?: Record<string, number>): EngineEvent => ({
  type: "progress",
  stage,
  key: "k",
  step,
  total,
  time: T0 + at,
  ...(metrics ? { metrics } : {})
})

export const log = (stage: string, line: string, at: number, level: "info" | "warn" | "error" = "info"): EngineEvent => ({
  type: "log",
  stage,
  key: "k",
  level,
  line,
  time: T0 + at
})

/** Mid-run: numbers cached, square ran, train and features[dim=4] running, features[dim=16] failed. */
export const midRun: ReadonlyArray<EngineEvent> = [
  plan(),
  st("numbers", "cached", 1, { savedMs: 20 }),
  st("square", "running", 2),
  st("square", "ran", 82, { durationMs: 80 }),
  st("train", "running", 100),
  st("features[dim=4]", "running", 100),
  progress("train", 1, 10, 400, { loss: 1.25, accuracy: 0.5 }),
  progress("train", 4, 10, 1300, { loss: 0.9 }),
  log("train", "epoch 1 done", 1300),
  log("train", "learning rate is high", 1310, "warn"),
  st("features[dim=16]", "failed", 1350, { durationMs: 30, error: { message: "tensor x has shape [2,3], expected [2,4]", cause: "ShapeError: rank mismatch" } })
]

/** Many sweep settings, for the collapsing layout. */
export const sweepPlan = (settings: number, perSetting = 3): ReadonlyArray<PlannedStage> => {
  const out: Array<PlannedStage> = [{ stage: "data", key: "d", kind: "data", deps: [], action: "run", reasons: [] }]
  for (let i = 0; i < settings; i++) {
    let prev = "data"
    for (let j = 0; j < perSetting; j++) {
      const name = `step${j}[seed=${i}]`
      out.push({ stage: name, key: `k${i}-${j}`, kind: `step${j}`, deps: [prev], action: "run", reasons: [], group: `seed=${i}` })
      prev = name
    }
  }
  return out
}
