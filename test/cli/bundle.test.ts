// The bundled CLI (dist/bundle/, scripts/bundle.mjs) and a pipeline that imports effect itself run
// with one copy of effect: the pipeline's `effect` and `effect/X` resolve to the bundled copy.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const skip = existsSync(join(root, "dist", "bundle", "cli.js")) ? false : "dist/ is not built (npm run build)"
const dir = mkdtempSync(join(tmpdir(), "clipcl-bundle-"))
after(() => rmSync(dir, { recursive: true, force: true }))

/** Runs the bundled `clipcl ARGS`; its exit status, output and the packages it imported. */
const clipcl = (args: ReadonlyArray<string>) => {
  const trace = join(dir, "loaded.txt")
  rmSync(trace, { force: true })
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "bench", "loaded-packages.mjs")).href, "bin/clipcl.js", ...args], {
    cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "0", CLIPCL_LOADED_PACKAGES: trace }
  })
  const packages = existsSync(trace) ? readFileSync(trace, "utf8").split("\n").filter((l) => l !== "") : []
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages }
}

test("a pipeline importing effect, effect/Schema and effect/Option runs on the bundle's copy of effect", { skip }, () => {
  const cache = join(dir, "a.sqlite")
  const file = "test/fixtures/pipelines/effectSubpaths.ts"
  const first = clipcl(["run", file, "--json", "--cache", cache])
  assert.equal(first.status, 0, first.stderr)
  assert.ok(!first.packages.includes("effect"), `effect was loaded from node_modules beside the bundle: ${first.packages.join(", ")}`)
  const summary = JSON.parse(first.stdout.trim().split("\n").at(-1)!) as { ran: number; failed: number }
  assert.deepEqual([summary.ran, summary.failed], [1, 0])
  // The pipeline's Schema validates its parameters inside the bundled engine.
  const bad = clipcl(["plan", file, "--set", "countdown.n=-1", "--cache", cache])
  assert.equal(bad.status, 2, bad.stderr)
  assert.match(bad.stderr, /countdown/)
  // Its tagged error fails the stage with its message.
  const failed = clipcl(["run", file, "--set", "countdown.n=1", "--no-tui", "--cache", cache])
  assert.equal(failed.status, 1, failed.stderr)
  assert.match(failed.stdout + failed.stderr, /n must be at least 2, got 1/)
})

test("an example pipeline importing effect loads no second copy of it", { skip }, () => {
  const r = clipcl(["run", "pipelines/example-toy.ts", "--json", "--cache", join(dir, "toy.sqlite")])
  assert.equal(r.status, 0, r.stderr)
  assert.ok(!r.packages.includes("effect"), r.packages.join(", "))
})

test("effect/X of the bundle exports what effect's own module exports", { skip }, async () => {
  for (const name of ["Schema", "Effect", "Option", "Data", "Function"]) {
    const bundled = Object.keys(await import(pathToFileURL(join(root, "dist", "bundle", "effect", `${name}.js`)).href)).sort()
    const own = Object.keys(await import(`effect/${name}`)).sort()
    assert.deepEqual(bundled, own, name)
  }
})

test("a TypeScript pipeline is compiled once: unchanged, it loads from the compile cache without esbuild, and without tsx", { skip }, () => {
  const tmp = join(dir, "tmp")
  mkdirSync(tmp, { recursive: true })
  const plan = (extra: Record<string, string>) =>
    spawnSync(process.execPath, ["bin/clipcl.js", "plan", "pipelines/example-toy.ts", "--json", "--cache", join(dir, "c.sqlite")], {
      cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "0", TMPDIR: tmp, ...extra }
    })
  // esbuild's service started from a program that is not esbuild: a compile fails.
  const noEsbuild = { ESBUILD_BINARY_PATH: "/bin/false" }
  const without = plan(noEsbuild)
  assert.notEqual(without.status, 0, "compiled without esbuild?")
  assert.match(without.stderr, /example-toy\.ts/)
  const first = plan({})
  assert.equal(first.status, 0, first.stderr)
  const compiled = readdirSync(tmp).filter((d) => d.startsWith("clipcl-ts-")).flatMap((d) => readdirSync(join(tmp, d)))
  assert.ok(compiled.length >= 1 && compiled.every((f) => f.endsWith(".mjs")), compiled.join(", "))
  const again = plan(noEsbuild)
  assert.equal(again.status, 0, again.stderr)
  assert.equal(again.stdout, first.stdout)
  assert.ok(!clipcl(["plan", "pipelines/example-toy.ts", "--json", "--cache", join(dir, "c.sqlite")]).packages.includes("tsx"))
})

test("a TypeScript syntax error in a pipeline names the file and line, exit 2", { skip }, () => {
  const file = join(dir, "broken.ts")
  writeFileSync(file, 'import { pipeline } from "clipcl/dsl"\n\nexport default pipeline("broken", (p) => {\n  const x: number = (\n})\n')
  const r = clipcl(["plan", file, "--cache", join(dir, "c.sqlite")])
  assert.equal(r.status, 2, r.stderr)
  assert.match(r.stderr, /broken\.ts/)
  assert.match(r.stderr, /broken\.ts:\d+/)
})

test("compiled pipelines are read only from a folder of this user's that no one else may write", { skip: skip || (process.getuid === undefined ? "no uids here" : false) }, () => {
  const tmp = join(dir, "tmp-trust")
  mkdirSync(tmp, { recursive: true })
  const plan = () =>
    spawnSync(process.execPath, ["bin/clipcl.js", "plan", "pipelines/example-toy.ts", "--json", "--cache", join(dir, "t.sqlite")], {
      cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "0", TMPDIR: tmp }
    })
  assert.equal(plan().status, 0)
  const folder = join(tmp, `clipcl-ts-${process.getuid!()}`)
  for (const f of readdirSync(folder)) writeFileSync(join(folder, f), 'throw new Error("planted code ran")\n')
  // This user's own folder: what is there runs (so the check below can fail).
  const own = plan()
  assert.notEqual(own.status, 0)
  assert.match(own.stderr, /planted code ran/)
  // Writable by others: not trusted, the pipeline is compiled afresh.
  chmodSync(folder, 0o777)
  const shared = plan()
  assert.equal(shared.status, 0, shared.stderr)
})
