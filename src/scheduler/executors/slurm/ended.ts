/**
 * What a job that left Slurm without a completion marker means: worth
 * another attempt (the stage itself did not fail: node failure, preemption,
 * cancelled from outside, lost), or a failure to report with Slurm's own
 * words and, for the limits a user can raise, which setting raises them.
 * Pure: `executor.ts` acts on the verdict.
 *
 * @since 0.1.0
 */

/**
 * How Slurm says a job ended (`scontrol show job`, else `squeue`).
 *
 * @since 0.1.0
 * @category models
 */
export interface EndedJob {
  readonly jobId: string
  readonly state: string
  readonly reason: string
  readonly exitCode: string
  readonly node: string
}

/**
 * A job's end from `scontrol show job`'s fields (see `parseJobFields`),
 * falling back on what `squeue` said last; `LOST` when Slurm no longer
 * knows the job.
 *
 * @since 0.1.0
 * @category constructors
 */
export const endedJob = (
  jobId: string,
  fields: Readonly<Record<string, string>>,
  queued?: { readonly state: string; readonly reason: string; readonly node: string }
): EndedJob => ({
  jobId,
  state: (fields.JobState ?? queued?.state ?? "LOST").split(/\s/)[0]!,
  reason: fields.Reason ?? queued?.reason ?? "",
  exitCode: fields.ExitCode ?? "",
  node: (fields.NodeList && fields.NodeList !== "(null)" ? fields.NodeList : queued?.node) ?? ""
})

/**
 * @since 0.1.0
 * @category models
 */
export type EndVerdict =
  | { readonly _tag: "Retry"; readonly said: string }
  | { readonly _tag: "Fail"; readonly said: string; readonly detail: string }

/** Ends that are worth another attempt: the stage itself did not fail. */
const RETRIABLE = new Set(["NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "CANCELLED", "DEADLINE", "LOST", "COMPLETED"])

/**
 * Slurm's words: `Slurm: TIMEOUT, reason TimeLimit, exit code 0:15`.
 *
 * @since 0.1.0
 * @category utils
 */
export const slurmSaid = (e: Pick<EndedJob, "state" | "reason" | "exitCode">): string =>
  `Slurm: ${e.state}${e.reason && e.reason !== "None" ? `, reason ${e.reason}` : ""}${e.exitCode ? `, exit code ${e.exitCode}` : ""}`

/**
 * The verdict on a job of a stage of kind `kind` that ended without a
 * marker; `slurmOut` is where Slurm's output file is kept. A job that
 * COMPLETED without a marker counts as lost: the marker is the job's last
 * act, so its absence means the node or file system lost it.
 *
 * @since 0.1.0
 * @category utils
 */
export const judgeEnded = (e: EndedJob, kind: string, slurmOut: string): EndVerdict => {
  const said = slurmSaid(e)
  if (e.state === "TIMEOUT") {
    return { _tag: "Fail", said, detail: `job ${e.jobId} ran out of time (${said}); raise the time limit of '${kind}' stages (settings kinds.${kind}.time, or --time)` }
  }
  if (e.state === "OUT_OF_MEMORY") {
    return { _tag: "Fail", said, detail: `job ${e.jobId} ran out of memory (${said}); raise the memory of '${kind}' stages (settings kinds.${kind}.mem)` }
  }
  if (RETRIABLE.has(e.state)) return { _tag: "Retry", said }
  return { _tag: "Fail", said, detail: `job ${e.jobId} ended without a result (${said}); Slurm's output is kept in ${slurmOut}` }
}
