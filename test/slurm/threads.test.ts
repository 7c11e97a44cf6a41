// Threads of a local run: the native kernel pool and OpenBLAS are sized to the
// CPUs this process may use (the affinity mask, as a Slurm job's allotment),
// not the machine's cores. Stages of one `--jobs N` run share that one pool:
// its kernels are synchronous calls on the one JavaScript thread, so two
// stages never run kernels at once and each kernel may use every allotted core.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { availableParallelism } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { fixture, tempDir } from "../engine/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0

/** Each stage's logged threads, and whether the two stages overlapped in time. */
const threadsRun = async (name: string, jobs: number, pin: boolean, extra: Record<string, string> = {}) => {
  const env = { ...process.env }
  delete env.CLIPCL_THREADS
  delete env.OPENBLAS_NUM_THREADS
  Object.assign(env, extra)
  const args = [process.execPath, "bin/clipcl.js", "run", fixture("threads.ts"), "--jobs", String(jobs), "--json", "--cache", join(tmp.dir, `${name}.sqlite`)]
  const r = spawnSync(pin ? "taskset" : args[0]!, pin ? ["-c", "0", ...args] : args.slice(1), { encoding: "utf8", env, timeout: 120_000 })
  assert.equal(r.status, 0, r.stderr)
  const events = r.stdout.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l))
  const logged = Object.fromEntries(events.filter((e) => e.type === "log").map((e) => [e.stage, e.line]))
  const at = (stage: string, status: string) => events.find((e) => e.type === "stage" && e.stage === stage && e.status === status)!.time
  return { logged, overlapped: at("b", "running") < at("a", "ran") && at("a", "running") < at("b", "ran") }
}

test("--jobs 1 and --jobs 2: every stage's kernels may use all the process's CPUs (one pool, never two kernels at once)", async () => {
  const cpus = availableParallelism()
  const expected = `pool ${cpus} threads, OpenBLAS ${cpus}`
  const one = await threadsRun("one", 1, false)
  assert.deepEqual(one.logged, { a: expected, b: expected })
  assert.equal(one.overlapped, false)
  const two = await threadsRun("two", 2, false)
  assert.deepEqual(two.logged, { a: expected, b: expected })
  assert.equal(two.overlapped, true, "with --jobs 2 the stages ran at the same time")
})

test("a run limited to one CPU (taskset) sizes the pool and OpenBLAS to it, not to the machine's cores", { skip: hasTaskset ? false : "taskset is not installed" }, async () => {
  const pinned = await threadsRun("pinned", 2, true)
  assert.deepEqual(pinned.logged, { a: "pool 1 threads, OpenBLAS 1", b: "pool 1 threads, OpenBLAS 1" })
  // CLIPCL_THREADS still wins over the mask (OpenBLAS keeps its own default, which follows the mask).
  const chosen = await threadsRun("chosen", 2, true, { CLIPCL_THREADS: "3" })
  assert.deepEqual(chosen.logged, { a: "pool 3 threads, OpenBLAS 1", b: "pool 3 threads, OpenBLAS 1" })
})
