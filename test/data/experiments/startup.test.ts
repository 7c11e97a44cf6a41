// The data-source registry is what a pipeline and a plan load before anything runs: naming,
// decoding and encoding every built-in source (and the COCO input check paper-coco.ts runs when
// it loads) must load no tensor or image package; only opening a source loads its reader.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const HEAVY = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-node", "sharp"]

const loadedBy = (script: string): Array<string> => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-data-startup-"))
  const trace = join(dir, "loaded.txt")
  const r = spawnSync(process.execPath, ["--import", "tsx", "--import", pathToFileURL(join(root, "bench", "loaded-packages.mjs")).href, "--input-type=module", "-e", script], {
    cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_LOADED_PACKAGES: trace }
  })
  assert.equal(r.status, 0, r.stderr)
  return existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter((l) => l !== "") : []
}

test("the registry, DataParams of every built-in source and missingCocoInputs load neither tfjs nor sharp; opening a source does", () => {
  const names = loadedBy(`
    const { Schema } = await import("effect")
    const { DataParams, dataSourceNames, openExperiment } = await import("./src/stages/experiment.ts")
    const { missingCocoInputs } = await import("./src/data/experiments/coco.ts")
    for (const source of ["synthetic", "fashion-mnist"]) Schema.encodeSync(DataParams)(Schema.decodeUnknownSync(DataParams)({ source }))
    if (missingCocoInputs({ source: "coco", cocoDir: "/nowhere" }).length === 0) throw new Error("no missing input")
    if (dataSourceNames().length < 3) throw new Error("no built-in sources")
  `)
  assert.ok(names.includes("effect"), names.join(", "))
  assert.deepEqual(names.filter((n) => HEAVY.includes(n)), [])
  // Opening the synthetic source loads its reader (which draws images without tfjs or sharp);
  // a coco open reaches sharp: the lazy import is real, not a module loaded anyway.
  const opened = loadedBy(`
    const { openExperiment } = await import("./src/data/experiments/registry.ts")
    await openExperiment({ source: "coco", cocoDir: "/nowhere" }).catch(() => {})
  `)
  assert.ok(opened.includes("sharp"), opened.join(", "))
})
