// Slurm settings and requests: pure, no cluster needed.
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { Effect, Either } from "effect"
import { loadPipeline } from "../../src/cli/load.js"
import { formatSlurmTime, loadSlurmSettings, parseMem, parseSlurmTime, requestFor } from "../../src/scheduler/executors/slurm/settings.js"
import { allottedCpus } from "../../src/backend/cpus.js"
import { resolvePipeline } from "../../src/scheduler/runPipeline.js"

const dir = mkdtempSync(join(tmpdir(), "clipcl-slurm-settings-"))
after(() => rmSync(dir, { recursive: true, force: true }))

test("Slurm time and memory formats", () => {
  assert.equal(parseSlurmTime("90"), 90)
  assert.equal(parseSlurmTime("1:30"), 2)
  assert.equal(parseSlurmTime("2:00:00"), 120)
  assert.equal(parseSlurmTime("1-00"), 1440)
  assert.equal(parseSlurmTime("1-02:30"), 1590)
  assert.equal(parseSlurmTime("UNLIMITED"), Number.POSITIVE_INFINITY)
  assert.equal(parseSlurmTime("soon"), undefined)
  assert.equal(formatSlurmTime(1590), "1-02:30:00")
  assert.equal(parseMem("16G"), 16384)
  assert.equal(parseMem("512M"), 512)
  assert.equal(parseMem("2048"), 2048)
  assert.equal(parseMem("lots"), undefined)
})

test("settings: file, then flags; bad values name the file or flag", () => {
  const file = join(dir, "s.json")
  writeFileSync(file, JSON.stringify({ partition: "cpu", time: "1:00:00", maxJobs: 7, spool: "spool-here", sbatchArgs: ["--constraint=x"] }))
  const s = Either.getOrThrow(loadSlurmSettings({ config: file, partition: "gpu", sbatchArgs: ["--exclusive"] }, "cache/c.sqlite", dir))
  assert.equal(s.partition, "gpu")
  assert.equal(s.maxJobs, 7)
  assert.equal(s.spool, join(dir, "spool-here"))
  assert.deepEqual(s.sbatchArgs, ["--constraint=x", "--exclusive"])
  const bad = join(dir, "bad.json")
  writeFileSync(bad, JSON.stringify({ partiton: "typo" }))
  const e = loadSlurmSettings({ config: bad }, "c.sqlite", dir)
  assert.ok(Either.isLeft(e))
  assert.match(e.left.message, /bad\.json: .*partiton/)
  const flag = loadSlurmSettings({ maxJobs: "0" }, "c.sqlite", dir)
  assert.ok(Either.isLeft(flag))
  assert.match(flag.left.message, /--max-jobs: expected a positive integer/)
  const mem = join(dir, "mem.json")
  writeFileSync(mem, JSON.stringify({ kinds: { evaluate: { mem: "much" } } }))
  assert.match(Either.getLeft(loadSlurmSettings({ config: mem }, "c.sqlite", dir)).pipe((o) => (o._tag === "Some" ? o.value.message : "")), /kinds\.evaluate\.mem 'much'/)
  // Default spool: beside the cache file.
  const d = Either.getOrThrow(loadSlurmSettings({}, "cache/c.sqlite", dir))
  assert.equal(d.spool, join(dir, "cache", "spool"))
})

test("requests: kind defaults, then the stage's resources, then settings; GPUs only with a gres name", async () => {
  const { dag } = await Effect.runPromise(Effect.flatMap(loadPipeline("test/fixtures/pipelines/quickstart-short.ts"), (p) => resolvePipeline(p, {})))
  const node = (n: string) => dag.nodes[dag.byName.get(n)!]!
  const base = Either.getOrThrow(loadSlurmSettings({}, "c.sqlite", dir))
  const ft = requestFor(base, node("finetune[FT] session 1"))
  const ev = requestFor(base, node("evaluate[FT] session 1"))
  assert.ok(ev.cpus < ft.cpus && ev.memMB < ft.memMB && ev.minutes < ft.minutes, "evaluation asks for less than fine-tuning")
  assert.equal(ft.gpus, 0, "no gres configured: no GPUs requested")
  const file = join(dir, "k.json")
  writeFileSync(file, JSON.stringify({ gres: "gpu", defaults: { cpus: 3 }, kinds: { finetune: { mem: "40G", time: "1-00:00:00" } } }))
  const s = Either.getOrThrow(loadSlurmSettings({ config: file }, "c.sqlite", dir))
  assert.deepEqual(requestFor(s, node("finetune[FT] session 1")), { cpus: 3, memMB: 40960, gpus: 1, minutes: 1440 })
  assert.equal(requestFor(s, node("report")).gpus, 0, "a stage without an accelerator asks for no GPU")
  const t = Either.getOrThrow(loadSlurmSettings({ config: file, time: "30" }, "c.sqlite", dir))
  assert.equal(requestFor(t, node("finetune[FT] session 1")).minutes, 30, "--time overrides every limit")
})

test("a job's threads follow SLURM_CPUS_PER_TASK, else the affinity mask", () => {
  assert.equal(allottedCpus({ SLURM_CPUS_PER_TASK: "3" }), 3)
  const n = allottedCpus({})
  assert.ok(Number.isInteger(n) && n >= 1)
})
