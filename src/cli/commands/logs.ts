/**
 * `clipcl logs STAGE`: status, error and log tail of the latest run of a
 * stage instance (any pipeline, or `--pipeline NAME`).
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import { openJobLedger, type JobRow } from "../../cache/JobLedger.js"
import type { Command } from "../args.js"
import { openCache, type CliIO } from "../io.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const logsCommand = (cmd: Extract<Command, { _tag: "logs" }>, io: CliIO) =>
  Effect.gen(function* () {
    const runs = yield* Effect.flatMap(CacheStore, (c) => c.runs({ stage: cmd.stage, limit: 1, ...(cmd.pipeline ? { pipeline: cmd.pipeline } : {}) })).pipe(
      Effect.provide(openCache(cmd.cache))
    )
    const r = runs[0]
    if (r === undefined) {
      io.stderr(`no recorded run of stage '${cmd.stage}'${cmd.pipeline ? ` in pipeline '${cmd.pipeline}'` : ""}\n`)
      return 1
    }
    // A stage that ran as a cluster job: its latest attempt, and Slurm's output file where it is kept.
    let job: JobRow | undefined
    if (existsSync(cmd.cache)) {
      const ledger = openJobLedger(cmd.cache, { readonly: true })
      try {
        job = ledger.byKey(r.key)[0]
      } finally {
        ledger.close()
      }
    }
    const slurmOut = job !== undefined && existsSync(join(job.dir, "slurm.out")) ? join(job.dir, "slurm.out") : undefined
    if (cmd.json) {
      io.stdout(JSON.stringify(job === undefined ? r : { ...r, job: { ...job, ...(slurmOut ? { output: slurmOut } : {}) } }) + "\n")
      return 0
    }
    io.stdout(`${r.pipeline} / ${r.stage} (${r.stageKind}): ${r.status} at ${new Date(r.endedAt).toISOString()} in ${r.endedAt - r.startedAt} ms, key ${r.key}\n`)
    if (r.error) io.stdout(`error: ${r.error}\n`)
    if (r.metrics) io.stdout(`metrics: ${JSON.stringify(r.metrics)}\n`)
    io.stdout(r.logTail.length > 0 ? r.logTail + "\n" : "(no log lines)\n")
    if (job !== undefined) io.stdout(`job ${job.jobId ?? "?"} (${job.executor}, attempt ${job.attempt}, ${job.state}${job.node ? ` on ${job.node}` : ""})${slurmOut ? `; Slurm's output: ${slurmOut}` : ""}\n`)
    return 0
  })
