// The Slurm tests' cluster: the one scripts/slurm-cluster.sh runs on this machine (brought up
// here when it is down and we may), settings for fast polling, and helpers to read jobs back.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { test, type TestContext } from "node:test"
import { Effect } from "effect"
import { CacheStoreLive, CacheStore, type CacheKey } from "../../src/cache/CacheStore.js"
import { openJobLedger, type JobRow } from "../../src/cache/JobLedger.js"
import { jobName } from "../../src/scheduler/executors/slurm/executor.js"

const defaultConf = join(process.env.CLIPCL_SLURM_DIR || join(tmpdir(), "clipcl-slurm"), "slurm.conf")
if (process.env.SLURM_CONF === undefined && existsSync(defaultConf)) process.env.SLURM_CONF = defaultConf

const nodesUp = (): boolean => {
  const r = spawnSync("sinfo", ["--noheader", "--Node", "--format=%N %t"], { encoding: "utf8" })
  if (r.status !== 0) return false
  const up = r.stdout.split("\n").filter((l) => /^(n1|n2) (idle|mix|alloc|comp)/.test(l.trim()))
  return up.length >= 2
}

/** Why there is no cluster to test on, or undefined when there is one. */
const unavailable = ((): string | undefined => {
  if (spawnSync("sbatch", ["--version"]).status !== 0) return "Slurm is not installed (apt-get install slurm-wlm munge)"
  if (nodesUp()) return undefined
  if (process.getuid?.() !== 0) return "no two-node cluster is up and only root can start one (scripts/slurm-cluster.sh up)"
  const up = spawnSync("bash", [resolve("scripts/slurm-cluster.sh"), "up"], { encoding: "utf8", timeout: 120_000 })
  if (process.env.SLURM_CONF === undefined && existsSync(defaultConf)) process.env.SLURM_CONF = defaultConf
  return up.status === 0 && nodesUp() ? undefined : `scripts/slurm-cluster.sh up failed: ${up.stderr || up.stdout}`
})()

/** In CI (CI=true, or .ci/run's CLIPCL_REQUIRE_SLURM=1) a missing cluster fails the tests. */
const required = process.env.CI === "true" || process.env.CLIPCL_REQUIRE_SLURM === "1"

/** A test on the real cluster: skipped with the reason outside CI, a failure in CI. */
export const slurmTest = (name: string, fn: (t: TestContext) => Promise<void>, timeout = 300_000): void => {
  test(name, { timeout }, async (t) => {
    if (unavailable !== undefined) {
      if (required) assert.fail(`the Slurm tests must run in CI: ${unavailable}`)
      t.skip(`no Slurm cluster: ${unavailable}`)
      return
    }
    await fn(t)
  })
}

/** Settings for the test cluster: one job per node at a time (so jobs spread), fast polling. */
export const writeSettings = (dir: string, extra: Record<string, unknown> = {}): string => {
  const file = join(dir, "slurm.json")
  const settings = {
    defaults: { cpus: availableParallelism(), mem: "256M", time: "10:00" },
    spool: join(dir, "spool"),
    pollSeconds: 0.25,
    maxPollSeconds: 1,
    lostGraceSeconds: 1,
    ...extra
  }
  writeFileSync(file, JSON.stringify(settings))
  return file
}

export const ledgerRows = (cache: string): ReadonlyArray<JobRow> => {
  const l = openJobLedger(cache, { readonly: true })
  try {
    return l.recent({ limit: 1000 })
  } finally {
    l.close()
  }
}

/** Job ids Slurm remembers under the pipeline's job name (any state). */
export const slurmJobs = (cache: string, pipeline: string, states = "all"): ReadonlyArray<{ id: string; state: string }> => {
  const r = spawnSync("squeue", [`--name=${jobName(resolve(cache), pipeline)}`, `--states=${states}`, "--noheader", "--format=%i %T"], { encoding: "utf8" })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split("\n").filter((l) => l.trim()).map((l) => {
    const [id, state] = l.trim().split(" ")
    return { id: id!, state: state! }
  })
}

/** Output content hash per key (undefined where the key has no cached result). */
export const outputsOf = (cache: string, keys: ReadonlyArray<string>): Promise<Record<string, string | undefined>> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const hits = yield* Effect.flatMap(CacheStore, (c) => c.lookupMany(keys as Array<CacheKey>))
      return Object.fromEntries(keys.map((k) => [k, hits.get(k as CacheKey)?.output as string | undefined]))
    }).pipe(Effect.scoped, Effect.provide(CacheStoreLive(cache)))
  )

/** Final stage events by stage name. */
export const finalEvents = (events: ReadonlyArray<any>): Record<string, any> =>
  Object.fromEntries(events.filter((e) => e.type === "stage" && e.status !== "running" && e.status !== "queued").map((e) => [e.stage, e]))
