// What the CLI loads for a command: heavy packages (TensorFlow.js, sharp, vega, ink) only where
// the command needs them. Seen with bench/loaded-packages.mjs in a real `clipcl` process, run
// from dist/ as users run it.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const skip = existsSync(join(root, "dist", "bundle", "cli.js")) ? false : "dist/ is not built (npm run build)"
const dir = mkdtempSync(join(tmpdir(), "clipcl-startup-"))
after(() => rmSync(dir, { recursive: true, force: true }))

const HEAVY = ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-cpu", "sharp", "vega", "ink", "react"]

/** Runs `clipcl ARGS`; returns the packages it imported. */
const loaded = (args: ReadonlyArray<string>): Array<string> => {
  const trace = join(dir, "loaded.txt")
  rmSync(trace, { force: true })
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "bench", "loaded-packages.mjs")).href, "bin/clipcl.js", ...args], {
    cwd: root, encoding: "utf8", timeout: 300_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "0", CLIPCL_LOADED_PACKAGES: trace }
  })
  assert.equal(r.status, 0, `clipcl ${args.join(" ")}: ${r.stderr}`)
  return existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter((l) => l !== "") : []
}

test("clipcl --version loads no package; a cached run of an engine pipeline loads none of tfjs, sharp, vega, ink", { skip }, () => {
  assert.deepEqual(loaded(["--version"]), [])
  const cache = join(dir, "toy.sqlite")
  loaded(["run", "pipelines/example-toy.ts", "--json", "--cache", cache])
  for (const args of [["run", "pipelines/example-toy.ts", "--json"], ["run", "pipelines/example-toy.ts", "--no-tui"], ["plan", "pipelines/example-toy.ts", "--json"]]) {
    const heavy = loaded([...args, "--cache", cache]).filter((p) => HEAVY.includes(p))
    assert.deepEqual(heavy, [], `clipcl ${args.join(" ")}`)
  }
})

// Planning a study, or re-running a cached one, must not load the science: every module a
// pipeline file imports through clipcl/stages is tensor-free at import, each stage loading its
// science inside `run`.

test("clipcl plan pipelines/quickstart.ts loads none of tfjs, sharp, vega, ink", { skip }, () => {
  const heavy = loaded(["plan", "pipelines/quickstart.ts", "--json", "--cache", join(dir, "q.sqlite")]).filter((p) => HEAVY.includes(p))
  assert.deepEqual(heavy, [])
})

test("clipcl plan pipelines/quickstart.ts as text loads none of tfjs, sharp, vega, ink", { skip }, () => {
  const heavy = loaded(["plan", "pipelines/quickstart.ts", "--cache", join(dir, "q.sqlite")]).filter((p) => HEAVY.includes(p))
  assert.deepEqual(heavy, [])
})

test("a fully cached run of a study loads none of tfjs, sharp, vega, ink", { skip }, () => {
  const cache = join(dir, "labels.sqlite")
  const file = "test/fixtures/pipelines/labels.ts"
  loaded(["run", file, "--json", "--cache", cache])
  for (const args of [["run", file, "--json"], ["run", file, "--no-tui"], ["results", file]]) {
    const heavy = loaded([...args, "--cache", cache]).filter((p) => HEAVY.includes(p))
    assert.deepEqual(heavy, [], `clipcl ${args.join(" ")}`)
  }
})

/**
 * The import graph of modules of src/ (through tsx, as the tests run the sources), loaded in one
 * fresh process: every resolved import as [importer, imported] URLs. A module's imports are
 * resolved once, whoever imports it first, so the graph of several modules loaded together holds
 * what each loads alone.
 */
const importGraph = (files: ReadonlyArray<string>): Map<string, Array<string>> => {
  const trace = join(dir, "graph.txt")
  rmSync(trace, { force: true })
  const hook = `
    import { appendFileSync } from "node:fs"
    export const resolve = async (specifier, context, next) => {
      const r = await next(specifier, context)
      if (context.parentURL !== undefined) appendFileSync(${JSON.stringify(trace)}, JSON.stringify([context.parentURL, r.url]) + "\\n")
      return r
    }`
  const script = `import { register } from "node:module"
register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)})
for (const f of ${JSON.stringify(files.map((f) => pathToFileURL(join(root, f)).href))}) await import(f)`
  const r = spawnSync(process.execPath, ["--conditions=clipcl-source", "--import", "tsx", "--input-type=module", "-e", script], {
    cwd: root, encoding: "utf8", timeout: 120_000
  })
  assert.equal(r.status, 0, `importing ${files.join(", ")}: ${r.stderr}`)
  const next = new Map<string, Array<string>>()
  for (const l of readFileSync(trace, "utf8").split("\n")) {
    if (l === "") continue
    const [from, to] = JSON.parse(l) as [string, string]
    next.set(from, [...(next.get(from) ?? []), to])
  }
  return next
}

const heavyPackage = (url: string): string | undefined => {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  return m !== null && HEAVY.includes(m[1]!) ? m[1] : undefined
}

/**
 * The heavy packages `file` loads at import (in `graph`), with the chain of modules that reaches each; imports
 * made inside one of `through` (modules of src/ another area makes lazy) are not followed.
 */
const heavyImports = (graph: Map<string, Array<string>>, file: string, through: ReadonlyArray<string> = []): Array<string> => {
  const start = pathToFileURL(join(root, file)).href
  const stop = new Set(through.map((f) => pathToFileURL(join(root, f)).href))
  const next = graph
  const prev = new Map<string, string | null>([[start, null]])
  const queue = [start]
  const found: Array<string> = []
  while (queue.length > 0) {
    const u = queue.shift()!
    const pkg = heavyPackage(u)
    if (pkg !== undefined) {
      const chain: Array<string> = []
      for (let c: string | null | undefined = u; c != null; c = prev.get(c)) chain.unshift(c.replace(pathToFileURL(root).href, ""))
      found.push(`${pkg}: ${chain.join(" -> ")}`)
      continue
    }
    if (stop.has(u)) continue
    for (const t of next.get(u) ?? []) if (!prev.has(t)) (prev.set(t, u), queue.push(t))
  }
  return found
}

// Each stage module alone: what a pipeline loads by importing it.
const STAGE_MODULES = [
  "src/stages/index.ts",
  "src/stages/pretrain.ts",
  "src/stages/embedVocabulary.ts",
  "src/stages/distill.ts",
  "src/stages/finetune.ts",
  "src/stages/interpolate.ts",
  "src/stages/evaluate.ts",
  "src/stages/loadCheckpoint.ts",
  "src/stages/report.ts",
  "src/stages/study.ts",
  "src/stages/io.ts",
  "src/stages/experiment.ts",
  "src/stages/params.ts",
  "src/stages/methodParams.ts"
]

let graph: Map<string, Array<string>> | undefined
const stageGraph = () => (graph ??= importGraph([...STAGE_MODULES, "src/stages/internal/evaluate.ts"]))

for (const file of STAGE_MODULES) {
  test(`importing ${file} loads none of tfjs, sharp, vega, ink`, () => {
    assert.deepEqual(heavyImports(stageGraph(), file), [])
  })
}

test("the import-graph check sees what a module loads", () => {
  // The check itself: a module that does import TensorFlow.js is caught, with the chain.
  const found = heavyImports(stageGraph(), "src/stages/internal/evaluate.ts")
  assert.ok(found.some((f) => f.startsWith("@tensorflow/tfjs-core: src/stages/internal/evaluate.ts -> src/backend/tf.ts -> ")), found.join("\n"))
})
