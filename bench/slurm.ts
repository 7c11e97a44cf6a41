/**
 * Per-stage overhead of the Slurm executor, from a run's NDJSON events and
 * its cache's job ledger:
 *
 *   queue      submit -> Slurm reports RUNNING (scheduling)
 *   startup    RUNNING -> the stage starts inside the job (node, clipcl, pipeline, backend)
 *   stage      the stage's own run time inside the job
 *   take-in    the stage ends -> its run is recorded by the coordinator
 *              (result and marker written, seen by the poller, output re-hashed and stored)
 *
 * Usage:
 *   clipcl run FILE --executor slurm --json --cache C > run.ndjson
 *   node --import tsx bench/slurm.ts run.ndjson C
 */
import { readFileSync } from "node:fs"
import { openJobLedger } from "../src/cache/JobLedger.js"

const [eventsFile, cache] = process.argv.slice(2)
if (!eventsFile || !cache) {
  console.error("usage: node --import tsx bench/slurm.ts RUN.ndjson CACHE")
  process.exit(2)
}
const events = readFileSync(eventsFile, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
const ledger = openJobLedger(cache, { readonly: true })
const rows = ledger.recent({ limit: 100_000 })
ledger.close()

const running = new Map<string, number>()
const finals = new Map<string, number>()
for (const e of events) {
  if (e.type !== "stage" || e.jobId === undefined) continue
  if (e.jobState === "RUNNING" && !running.has(e.jobId)) running.set(e.jobId, e.time)
  if (e.status === "ran") finals.set(e.jobId, e.time)
}
const cols = { queue: [] as Array<number>, startup: [] as Array<number>, stage: [] as Array<number>, takeIn: [] as Array<number> }
const lines: Array<string> = []
for (const r of rows.filter((r) => r.state === "taken" && r.jobId !== null && finals.has(r.jobId)).reverse()) {
  const run = running.get(r.jobId!)
  const q = run !== undefined ? run - r.submittedAt : NaN
  const s = run !== undefined && r.startedAt !== null ? r.startedAt - run : NaN
  const st = r.endedAt !== null && r.startedAt !== null ? r.endedAt - r.startedAt : NaN
  const t = r.endedAt !== null ? finals.get(r.jobId!)! - r.endedAt : NaN
  cols.queue.push(q), cols.startup.push(s), cols.stage.push(st), cols.takeIn.push(t)
  lines.push(`${r.stage.padEnd(32)} ${String(r.jobId).padStart(6)} ${(r.node ?? "-").padEnd(4)} ${[q, s, st, t].map((v) => (v / 1000).toFixed(2).padStart(8)).join(" ")}`)
}
const median = (xs: Array<number>) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  return v.length === 0 ? NaN : v[Math.floor(v.length / 2)]!
}
console.log(`${"stage".padEnd(32)} ${"job".padStart(6)} node ${["queue s", "startup s", "stage s", "take-in s"].map((h) => h.padStart(8)).join(" ")}`)
for (const l of lines) console.log(l)
console.log(`${"median".padEnd(44)} ${[cols.queue, cols.startup, cols.stage, cols.takeIn].map((c) => (median(c) / 1000).toFixed(2).padStart(8)).join(" ")}`)
