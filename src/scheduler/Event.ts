/**
 * The scheduler's one event stream. Every consumer (ink live view, plain-line
 * logger, NDJSON writer, tests) reads these and nothing else; none of them
 * writes to the global console.
 *
 * This is a contract shared by the engine (producer) and the UI (consumer):
 * change it in one place, here, and keep both sides compiling.
 *
 * @since 0.1.0
 */

/** Final (and intermediate) states of one stage instance. */
export type StageStatus =
  | "queued"   // planned to run, waiting for inputs or a slot
  | "running"
  | "cached"   // final: cache hit, not run
  | "ran"      // final: ran and succeeded
  | "failed"   // final: the stage's code failed or crashed
  | "interrupted" // final: it was running when the run was stopped (Ctrl-C, `q`, --fail-fast); nothing stored
  | "skipped"  // final: an input failed, or the run was stopped before it started

/** One stage instance as planned. `deps` are stage instance names. */
export interface PlannedStage {
  readonly stage: string
  readonly key: string
  readonly kind: string
  readonly deps: ReadonlyArray<string>
  readonly action: "run" | "cached"
  readonly reasons: ReadonlyArray<string>
  /** Sweep setting or branch label, for grouping in views. */
  readonly group?: string
  /**
   * Expected duration: for a stage to run, the estimate from earlier runs of its kind
   * (`src/scheduler/estimate.ts`: the median of the latest runs with the same params, else the
   * same non-numeric settings, else the same params shape), absent without history; for a
   * cached stage, what the run it reuses took. The live view's ETA uses it.
   */
  readonly expectedMs?: number
  /** How `expectedMs` of a stage to run was estimated. */
  readonly estimate?: { readonly basis: "same params" | "same settings" | "same shape"; readonly runs: number }
}

export type EngineEvent =
  | {
      readonly type: "plan"
      readonly pipeline: string
      readonly stages: ReadonlyArray<PlannedStage>
      readonly backend?: string
      /** Stages run at once (`--jobs`), for the view's time left. */
      readonly jobs?: number
      readonly time: number
    }
  | {
      readonly type: "stage"
      readonly stage: string
      readonly key: string
      readonly status: StageStatus
      readonly time: number
      readonly durationMs?: number
      /** For cached stages: how long the recorded run took (time saved). */
      readonly savedMs?: number
      readonly error?: { readonly message: string; readonly cause?: string; readonly logPath?: string }
      /** Where the stage ran: "local", "slurm", ... (absent for cached and skipped stages). */
      readonly executor?: string
      /** The cluster job of this attempt. */
      readonly jobId?: string
      /** The cluster node the job runs or ran on. */
      readonly node?: string
      /** The cluster's own state of the job (PENDING, RUNNING, ...). */
      readonly jobState?: string
      /** Milliseconds the job waited in the cluster's queue. */
      readonly queueWaitMs?: number
      /** Which attempt of this stage this is (1 = first). */
      readonly attempt?: number
    }
  | {
      readonly type: "progress"
      readonly stage: string
      readonly key: string
      readonly step: number
      readonly total: number
      readonly metrics?: Readonly<Record<string, number>>
      readonly time: number
    }
  | {
      readonly type: "log"
      readonly stage: string
      readonly key: string
      readonly level: "info" | "warn" | "error"
      readonly line: string
      readonly time: number
    }
  | {
      readonly type: "summary"
      readonly ran: number
      readonly cached: number
      readonly failed: number
      /** Stages stopped while running (not counted in `failed`). */
      readonly interruptedStages: number
      readonly skipped: number
      readonly durationMs: number
      readonly savedMs: number
      readonly interrupted: boolean
      readonly time: number
    }
