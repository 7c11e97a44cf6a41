/**
 * `clipcl jobs`: the cluster jobs of a cache that are in flight (submitted,
 * result not yet taken in), from the job ledger; `--all` lists recent ones
 * whatever their state. Reads the cache file only.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { Effect } from "effect"
import { openJobLedger, type JobRow } from "../../cache/JobLedger.js"
import type { Command } from "../args.js"
import type { CliIO } from "../io.js"

const age = (ms: number): string => (ms < 60_000 ? `${Math.round(ms / 1000)}s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)}m` : `${(ms / 3_600_000).toFixed(1)}h`)

/**
 * @since 0.1.0
 * @category constructors
 */
export const jobsCommand = (cmd: Extract<Command, { _tag: "jobs" }>, io: CliIO) =>
  Effect.sync(() => {
    let rows: ReadonlyArray<JobRow> = []
    if (existsSync(cmd.cache)) {
      const ledger = openJobLedger(cmd.cache, { readonly: true })
      try {
        rows = cmd.all ? ledger.recent({ ...(cmd.pipeline ? { pipeline: cmd.pipeline } : {}), limit: 200 }) : ledger.open(cmd.pipeline)
      } finally {
        ledger.close()
      }
    }
    if (cmd.json) {
      for (const r of rows) io.stdout(JSON.stringify(r) + "\n")
      return 0
    }
    if (rows.length === 0) {
      io.stdout(cmd.all ? "no cluster jobs recorded\n" : "no cluster jobs in flight\n")
      return 0
    }
    const now = Date.now()
    const table = [["JOB", "STATE", "STAGE", "ATTEMPT", "NODE", "AGE", "PIPELINE"]]
    for (const r of rows) table.push([r.jobId ?? "-", r.state, r.stage, String(r.attempt), r.node ?? "-", age(now - r.submittedAt), r.pipeline])
    const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)))
    for (const row of table) io.stdout(row.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd() + "\n")
    return 0
  })
