// Real `clipcl run` processes: Ctrl-C mid-stage, SIGKILL mid-write, two runs on one cache.
import assert from "node:assert/strict"
import { join } from "node:path"
import { after, test } from "node:test"
import { cli, finals, fixture, spawnCli, tempDir } from "./helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())

test("SIGINT mid-stage: exit 130 with a summary, nothing cached for the stage, re-run works", { timeout: 120_000 }, async () => {
  const cache = join(tmp.dir, "sigint.sqlite")
  const env = { CLIPCL_TEST_SLEEP_MS: "6000" }
  const child = spawnCli(["run", fixture("slow.ts"), "--json", "--jobs", "2", "--cache", cache], env)
  await child.waitFor((e) => e.type === "stage" && e.stage === "sleep" && e.status === "running")
  await child.waitFor((e) => e.type === "stage" && e.stage === "total" && e.status === "ran")
  const t0 = Date.now()
  child.kill("SIGINT")
  const code = await child.exited
  assert.equal(code, 130)
  assert.ok(Date.now() - t0 < 10_000, "stopped promptly")
  const summary = child.lines.at(-1)
  assert.equal(summary.type, "summary")
  assert.equal(summary.interrupted, true)
  assert.equal(finals(child.lines).sleep, "interrupted")
  assert.deepEqual([summary.failed, summary.interruptedStages], [0, 1])
  process.env.CLIPCL_TEST_SLEEP_MS = "6000"
  const plan = await cli("plan", fixture("slow.ts"), "--json", "--cache", cache)
  const sleep = plan.json.find((e) => e.stage === "sleep")
  assert.equal(sleep.action, "run")
  assert.deepEqual(sleep.reasons, ["last run was interrupted"])
  assert.equal(plan.json.find((e) => e.stage === "total").action, "cached")
  const again = await cli("run", fixture("slow.ts"), "--json", "--jobs", "2", "--cache", cache)
  assert.equal(again.code, 0, again.err)
  assert.deepEqual(finals(again.json), { numbers: "cached", total: "cached", sleep: "ran" })
})

test("SIGKILL while a checkpoint is being written: the store stays sound and the stage re-runs", { timeout: 120_000 }, async () => {
  const cache = join(tmp.dir, "sigkill.sqlite")
  const child = spawnCli(["run", fixture("bigwrite.ts"), "--json", "--cache", cache], { CLIPCL_TEST_MB: "48" })
  await child.waitFor((e) => e.type === "progress" && e.step >= 12)
  child.kill("SIGKILL")
  await child.exited
  const v = await cli("cache", "verify", "--json", "--cache", cache)
  assert.equal(v.code, 0)
  assert.equal(v.json[0].checked, 0, "no partial artifact is visible")
  process.env.CLIPCL_TEST_MB = "48"
  const r = await cli("run", fixture("bigwrite.ts"), "--json", "--cache", cache)
  assert.equal(r.code, 0, r.err)
  assert.deepEqual(finals(r.json), { big: "ran" })
  const v2 = await cli("cache", "verify", "--json", "--cache", cache)
  assert.equal(v2.code, 0)
  assert.equal(v2.json[0].checked, 1)
  assert.equal(v2.json[0].bytes, 48 << 20)
})

test("two concurrent runs on one cache both succeed; a third run is fully cached", { timeout: 120_000 }, async () => {
  const cache = join(tmp.dir, "concurrent.sqlite")
  const env = { CLIPCL_TEST_SLEEP_MS: "700" }
  const a = spawnCli(["run", fixture("slow.ts"), "--json", "--jobs", "2", "--cache", cache], env)
  const b = spawnCli(["run", fixture("slow.ts"), "--json", "--jobs", "2", "--cache", cache], env)
  const [ca, cb] = await Promise.all([a.exited, b.exited])
  assert.deepEqual([ca, cb], [0, 0])
  for (const c of [a, b]) assert.equal(c.lines.at(-1).failed, 0)
  process.env.CLIPCL_TEST_SLEEP_MS = "700"
  const sleepKey = a.lines.find((e) => e.type === "stage" && e.stage === "sleep" && e.status !== "running").key
  const again = spawnCli(["run", fixture("slow.ts"), "--json", "--cache", cache], env)
  assert.equal(await again.exited, 0)
  assert.deepEqual(finals(again.lines), { numbers: "cached", total: "cached", sleep: "cached" })
  assert.equal(again.lines.find((e) => e.type === "stage" && e.stage === "sleep").key, sleepKey)
  const v = await cli("cache", "verify", "--cache", cache)
  assert.equal(v.code, 0)
})
