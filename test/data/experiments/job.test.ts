// A Slurm job (`clipcl job run DIR`, here a plain subprocess) imports the pipeline again: a data set
// the pipeline registers is known there, with the same code fingerprint, so the job computes the
// key the coordinator planned and runs the stage.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { after, test } from "node:test"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { CacheStoreLive, CacheStore } from "../../../src/cache/CacheStore.js"
import { loadPipeline } from "../../../src/cli/load.js"
import { files, readResult } from "../../../src/scheduler/executors/protocol.js"
import { prepareAttempt, type SpoolContext } from "../../../src/scheduler/executors/spool.js"
import { stageKey } from "../../../src/scheduler/keys.js"
import { resolvePipeline } from "../../../src/scheduler/runPipeline.js"

const tmp = mkdtempSync(join(tmpdir(), "clipcl-dataset-job-"))
after(() => rmSync(tmp, { recursive: true, force: true }))

test("clipcl job run: a pipeline's own data set is registered in the job process and the stage reads it", { timeout: 120_000 }, async () => {
  const file = fileURLToPath(new URL("./fixtures/datasetJob.ts", import.meta.url))
  const { dag } = await Effect.runPromise(Effect.flatMap(loadPipeline(file), (p) => resolvePipeline(p, { file })))
  const node = dag.nodes[dag.byName.get("classNames")!]!
  assert.match(String((node.static.params as { data: { code?: unknown } }).data.code), /^[0-9a-f]{64}$/)
  const key = stageKey(node.static, {})
  const dir = await Effect.runPromise(
    Effect.gen(function* () {
      const store = yield* CacheStore
      const sc: SpoolContext = { spool: join(tmp, "spool"), cache: store, pipeline: dag.pipeline, file, overrides: [], backend: undefined }
      return (yield* prepareAttempt(sc, node, key, {}, 1)).dir
    }).pipe(Effect.scoped, Effect.provide(CacheStoreLive(join(tmp, "cache.sqlite"))))
  )
  const job = spawnSync(process.execPath, [resolve("bin/clipcl.js"), "job", "run", dir], { encoding: "utf8", env: { ...process.env, SLURM_CPUS_PER_TASK: "1" } })
  assert.equal(job.status, 0, job.stderr + job.stdout)
  const result = (await Effect.runPromise(readResult(dir)))!
  assert.equal(result.status, "ok", JSON.stringify(result.error))
  assert.deepEqual(JSON.parse(readFileSync(join(dir, files.output), "utf8")), ["a", "b", "c"])
})
