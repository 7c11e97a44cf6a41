// Planning loads no TensorFlow.js: the method registry, the method and training parameters, and
// the fine-tuning and distill stage modules load their science only when a stage runs. Seen in a
// real process with bench/loaded-packages.mjs.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "clipcl-lazy-"))
after(() => rmSync(dir, { recursive: true, force: true }))

const HEAVY = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-node", "sharp"]

/** The heavy packages a process loads when it imports `modules` (paths from the project root). */
const heavyLoadedBy = (...modules: ReadonlyArray<string>): Array<string> => {
  const trace = join(dir, "loaded.txt")
  rmSync(trace, { force: true })
  const script = modules.map((m) => `await import(${JSON.stringify(pathToFileURL(join(root, m)).href)})`).join(";")
  const r = spawnSync(process.execPath, ["--conditions=clipcl-source", "--import", "tsx", "--import", pathToFileURL(join(root, "bench", "loaded-packages.mjs")).href, "--input-type=module", "-e", script], {
    cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_LOADED_PACKAGES: trace }
  })
  assert.equal(r.status, 0, r.stderr)
  return (existsSync(trace) ? readFileSync(trace, "utf8").split("\n") : []).filter((p) => HEAVY.includes(p))
}

test("the method registry and the method, training and session parameters load no TensorFlow.js", () => {
  assert.deepEqual(heavyLoadedBy("src/methods/registry.ts", "src/methods/builtin.ts", "src/stages/methodParams.ts", "src/stages/params.ts"), [])
})


test("the fine-tuning stage module loads no TensorFlow.js", () => {
  assert.deepEqual(heavyLoadedBy("src/stages/finetune.ts"), [])
})

test("the distill stage module loads no TensorFlow.js", () => {
  assert.deepEqual(heavyLoadedBy("src/stages/distill.ts"), [])
})

test("a method defined in a pipeline file loads no TensorFlow.js before a session runs", () => {
  assert.deepEqual(heavyLoadedBy("pipelines/methods/l2sp.ts"), [])
})
