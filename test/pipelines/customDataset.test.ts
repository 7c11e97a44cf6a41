// End to end: pipelines/custom-dataset.ts registers a data set (an image folder with a labels
// file) from the pipeline file and runs the study on it, as a seconds-long smoke run
// (CLIPCL_SMOKE=1): plan, run, and a second run that is all cached.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

const clipcl = (args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["bin/clipcl.js", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, CLIPCL_SMOKE: "1" }, timeout: 300_000 })

const lines = (stdout: string) => stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, any>)

const finalStatus = (events: ReadonlyArray<Record<string, any>>) =>
  new Map(events.filter((e) => e.type === "stage" && ["ran", "cached", "failed", "skipped"].includes(e.status)).map((e) => [e.stage as string, e.status as string]))

test("custom-dataset: a data set registered in the pipeline file plans, runs and is then all cached", () => {
  const cache = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-custom-dataset-")), "cache.sqlite")
  const plan = clipcl(["plan", "pipelines/custom-dataset.ts", "--json", "--cache", cache])
  assert.equal(plan.status, 0, plan.stdout.slice(-3000) + plan.stderr.slice(-3000))
  const run = clipcl(["run", "pipelines/custom-dataset.ts", "--json", "--cache", cache])
  assert.equal(run.status, 0, run.stdout.slice(-4000) + run.stderr.slice(-4000))
  const status = finalStatus(lines(run.stdout))
  assert.ok(status.size >= 15, `stages: ${[...status.keys()].join(", ")}`)
  assert.deepEqual([...status.values()].filter((s) => s !== "ran" && s !== "cached"), [])
  // The finetune stages read the folder's 8 classes (2 sessions of 4) from the registered source.
  const logs = lines(run.stdout).filter((e) => e.type === "log").map((e) => String(e.line ?? e.message ?? ""))
  assert.ok(logs.some((l) => /circle, cross, diamond, heart/.test(l)), logs.slice(0, 20).join("\n"))
  const again = clipcl(["run", "pipelines/custom-dataset.ts", "--json", "--cache", cache])
  assert.equal(again.status, 0, again.stdout.slice(-3000) + again.stderr.slice(-3000))
  const second = finalStatus(lines(again.stdout))
  assert.deepEqual([...second.keys()].sort(), [...status.keys()].sort())
  assert.deepEqual([...second.values()].filter((s) => s !== "cached"), [])
})
