// The job protocol without Slurm: the coordinator lays out an attempt, `clipcl job run DIR`
// runs as a plain subprocess, the coordinator takes the marked result in.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { after, test } from "node:test"
import { Effect, Option } from "effect"
import { CacheStore, CacheStoreLive, type CacheKey, type ContentHash } from "../../src/cache/CacheStore.js"
import { loadPipeline } from "../../src/cli/load.js"
import { files, readResult } from "../../src/scheduler/executors/protocol.js"
import { prepareAttempt, takeIn, type SpoolContext } from "../../src/scheduler/executors/spool.js"
import { stageKey } from "../../src/scheduler/keys.js"
import { resolvePipeline } from "../../src/scheduler/runPipeline.js"
import { cli, fixture, tempDir } from "../engine/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())

const jobRun = (dir: string) => spawnSync(process.execPath, [resolve("bin/clipcl.js"), "job", "run", dir], { encoding: "utf8", env: { ...process.env, SLURM_CPUS_PER_TASK: "1" } })

/** A cache where `numbers` ran, the resolved DAG, and an attempt directory for `square`. */
const setup = async (name: string) => {
  const file = fixture("ok.ts")
  const cache = join(tmp.dir, `${name}.sqlite`)
  const r = await cli("run", file, "--only", "numbers", "--json", "--cache", cache)
  assert.equal(r.code, 0, r.err)
  const { dag } = await Effect.runPromise(Effect.flatMap(loadPipeline(file), (p) => resolvePipeline(p, { file })))
  const numbers = dag.nodes[dag.byName.get("numbers")!]!
  const square = dag.nodes[dag.byName.get("square")!]!
  return Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* CacheStore
      const numbersKey = stageKey(numbers.static, {})
      const hit = Option.getOrThrow(yield* store.lookup(numbersKey))
      const inputs = { xs: hit.output! }
      const key = stageKey(square.static, inputs)
      const sc: SpoolContext = { spool: join(tmp.dir, `${name}-spool`), cache: store, pipeline: dag.pipeline, file, overrides: [], backend: undefined }
      const { dir } = yield* prepareAttempt(sc, square, key, inputs, 1)
      return { cache, dag, square, key, inputs, dir, sc }
    }).pipe(Effect.scoped, Effect.provide(CacheStoreLive(cache)))
  )
}

test("job run: same output hash as a local run; the coordinator takes it in and records the run", { timeout: 120_000 }, async () => {
  const s = await setup("ok")
  assert.equal(await Effect.runPromise(readResult(s.dir)), undefined, "no marker before the job ran")
  const job = jobRun(s.dir)
  assert.equal(job.status, 0, job.stderr + job.stdout)
  assert.match(job.stdout, /1 cpu\b/, "threads follow SLURM_CPUS_PER_TASK")
  const result = (await Effect.runPromise(readResult(s.dir)))!
  assert.equal(result.status, "ok")
  assert.ok(existsSync(join(s.dir, files.marker)))

  const local = await cli("run", fixture("ok.ts"), "--json", "--cache", join(tmp.dir, "local.sqlite"))
  assert.equal(local.code, 0, local.err)
  const localSquare = local.json.find((e) => e.type === "stage" && e.stage === "square" && e.status === "ran")
  assert.equal(localSquare.key, s.key, "same key as a local run")

  const outcome = await Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* CacheStore
      const sc = { ...s.sc, cache: store }
      const o = yield* takeIn(sc, s.square, s.key as CacheKey, s.inputs, s.dir, result, { executor: "test", jobId: "42", attempt: 1, node: "n1", submittedAt: result.startedAt })
      const hit = yield* store.lookup(s.key as CacheKey)
      const bytes = yield* store.readArtifact((o as { output: ContentHash }).output)
      return { o, hit, text: new TextDecoder().decode(bytes) }
    }).pipe(Effect.scoped, Effect.provide(CacheStoreLive(s.cache)))
  )
  assert.equal(outcome.o._tag, "Ran")
  assert.deepEqual(JSON.parse(outcome.text), [0, 2, 8, 18])
  const rec = Option.getOrThrow(outcome.hit)
  assert.match(rec.logTail, /\[test\] job 42, attempt 1, node n1/)
  // Same output hash as the in-process run wrote.
  const again = await cli("run", fixture("ok.ts"), "--json", "--cache", s.cache)
  assert.equal(again.json.find((e) => e.type === "stage" && e.stage === "square").status, "cached")
  const localTotal = local.json.find((e) => e.type === "stage" && e.stage === "total" && e.status === "ran")
  assert.equal(again.json.find((e) => e.type === "stage" && e.stage === "total").key, localTotal.key, "downstream keys agree: same output hash")
})

test("job run refuses when its code fingerprint differs from the description, and writes no output", { timeout: 60_000 }, async () => {
  const s = await setup("refuse")
  const path = join(s.dir, files.description)
  const d = JSON.parse(readFileSync(path, "utf8"))
  d.fingerprint = "0".repeat(64)
  writeFileSync(path, JSON.stringify(d))
  const job = jobRun(s.dir)
  assert.equal(job.status, 3, job.stderr)
  const result = (await Effect.runPromise(readResult(s.dir)))!
  assert.equal(result.status, "refused")
  assert.match(result.error!.message, /code fingerprint differs/)
  assert.ok(!existsSync(join(s.dir, files.output)))
})

test("job run fails on an input whose bytes do not match its hash", { timeout: 60_000 }, async () => {
  const s = await setup("tamper")
  const input = join(s.dir, files.inputs, "xs")
  unlinkSync(input) // a hard link to the spool's object: replace, do not write through
  writeFileSync(input, "[9,9,9]")
  const job = jobRun(s.dir)
  assert.equal(job.status, 1, job.stderr)
  const result = (await Effect.runPromise(readResult(s.dir)))!
  assert.equal(result.status, "failed")
  assert.match(result.error!.message, /input 'xs' does not match its hash/)
})

test("a bad job directory is an argument error naming the file", async () => {
  const r = await cli("job", "run", join(tmp.dir, "nowhere"))
  assert.equal(r.code, 2)
  assert.match(r.err, /nowhere\/job\.json: cannot be read/)
})
