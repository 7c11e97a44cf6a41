/**
 * The plain-line logger: one line per state change, progress at most every
 * few seconds per stage, no escape codes (for logs, CI and pipes). A pure
 * consumer of the scheduler's events.
 *
 * @since 0.1.0
 */
import type { EngineEvent } from "../scheduler/Event.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PlainLoggerOptions {
  /** Minimum milliseconds between progress lines of one stage (default 5000). */
  readonly progressEveryMs?: number
  /** Print `log` events (default true). */
  readonly logs?: boolean
}

const seconds = (ms: number): string => (ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`)

const metricsText = (m: Readonly<Record<string, number>> | undefined): string =>
  m === undefined ? "" : " " + Object.entries(m).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(" ")

/** A cluster job's id, state, node and queue wait, when the stage runs as one (the run time is the stage's). */
const jobText = (e: Extract<EngineEvent, { type: "stage" }>): string =>
  e.jobId === undefined
    ? ""
    : ` [${e.executor ?? "job"} ${e.jobId}${e.attempt !== undefined && e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}${e.jobState ? ` ${e.jobState}` : ""}${e.node ? ` on ${e.node}` : ""}${e.queueWaitMs !== undefined ? `, queued ${seconds(e.queueWaitMs)}` : ""}]`

/**
 * A function that turns each event into zero or more lines and writes them.
 *
 * @since 0.1.0
 * @category constructors
 */

export const makePlainLogger = (write: (text: string) => void, options: PlainLoggerOptions = {}): ((event: EngineEvent) => void) => {
  const every = options.progressEveryMs ?? 5000
  const lastProgress = new Map<string, number>()
  return (e) => {
    switch (e.type) {
      case "plan": {
        const run = e.stages.filter((s) => s.action === "run").length
        write(`plan ${e.pipeline}: ${e.stages.length} stages, ${run} to run, ${e.stages.length - run} cached${e.backend ? ` (backend ${e.backend})` : ""}\n`)
        return
      }
      case "stage":
        switch (e.status) {
          case "running":
            write(`[start]   ${e.stage}${jobText(e)}\n`)
            return
          case "ran":
            write(`[ran]     ${e.stage} (${seconds(e.durationMs ?? 0)})${jobText(e)}\n`)
            return
          case "cached":
            write(`[cached]  ${e.stage}\n`)
            return
          case "failed":
            write(`[FAILED]  ${e.stage}${e.jobId !== undefined ? ` (after ${seconds(e.durationMs ?? 0)})${jobText(e)}` : ""}: ${e.error?.message ?? "failed"}\n`)
            return
          case "interrupted":
            write(`[interrupted] ${e.stage} (after ${seconds(e.durationMs ?? 0)})\n`)
            return
          case "skipped":
            write(`[skipped] ${e.stage}${e.error ? `: ${e.error.message}` : ""}\n`)
            return
          case "queued":
            return
        }
        return
      case "progress": {
        const last = lastProgress.get(e.stage)
        if (last !== undefined && e.time - last < every && e.step < e.total) return
        lastProgress.set(e.stage, e.time)
        write(`[progress] ${e.stage} ${e.step}/${e.total}${metricsText(e.metrics)}\n`)
        return
      }
      case "log":
        if (options.logs === false) return
        write(`[log]     ${e.stage}${e.level === "info" ? "" : ` ${e.level.toUpperCase()}`}: ${e.line}\n`)
        return
      case "summary":
        write(
          `${e.interrupted ? "interrupted" : "done"}: ${e.ran} ran, ${e.cached} cached, ${e.failed} failed, ${e.interruptedStages > 0 ? `${e.interruptedStages} interrupted, ` : ""}${e.skipped} skipped in ${seconds(e.durationMs)}` +
            (e.savedMs > 0 ? ` (cache saved ${seconds(e.savedMs)})` : "") +
            "\n"
        )
        return
    }
  }
}
