// clipcl used from a user's own project: `npm pack`, the tarball in a fresh project (CommonJS-type
// as `npm init -y` makes it, "type": "module", and a .mts pipeline), then `npx clipcl` plan, run,
// cached re-run and results on a pipeline that imports the documented entry points.
//
// The tarball is unpacked into node_modules/clipcl and its dependencies are linked from this
// checkout's node_modules, as npm would hoist them: a real `npm install` compiles better-sqlite3
// and fetches from the registry, minutes that CI need not spend on every run. Set
// CLIPCL_TEST_NPM_INSTALL=1 to install the tarball with npm instead (--prefer-offline).
import assert from "node:assert/strict"
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, test } from "node:test"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const built = existsSync(join(root, "dist", "bundle", "cli.js"))
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const realInstall = process.env.CLIPCL_TEST_NPM_INSTALL === "1"

let tmp: string
let tarball: string

const dependencies = (): Array<string> => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }
  return Object.keys(pkg.dependencies)
}

const linkDependencies = (modules: string) => {
  for (const d of dependencies()) {
    const to = join(modules, d)
    mkdirSync(join(to, ".."), { recursive: true })
    if (!existsSync(to)) symlinkSync(join(root, "node_modules", d), to, "dir")
  }
}

before(() => {
  if (!built) return
  tmp = mkdtempSync(join(tmpdir(), "clipcl-package-"))
  // dist/ is already built (the prepare script ran at install): --ignore-scripts skips rebuilding it.
  const out = execFileSync(npm, ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: root, encoding: "utf8" })
  const info = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>
  tarball = join(tmp, info[0]!.filename)
  const files = new Set(info[0]!.files.map((f) => f.path))
  for (const f of ["bin/clipcl.js", "dist/bundle/cli.js", "dist/bundle/stages.js", "dist/bundle/dsl.js", "dist/bundle/index.js", "dist/bundle/effect/Schema.js", "dist/index.d.ts", "dist/stages/index.d.ts", "dist/.built", "src/stages/evaluate.ts"]) {
    assert.ok(files.has(f), `the tarball lacks ${f}`)
  }
  // What runs is the bundle: the compiled modules it was made from stay out of the package.
  assert.ok(!files.has("dist/cli/main.js") && !files.has("dist/stages/index.js"), "the tarball ships dist/ unbundled")
  if (!realInstall) {
    // One unpacked copy, with the dependencies beside it (hoisted, as npm installs them).
    const shared = join(tmp, "shared", "node_modules")
    mkdirSync(join(shared, "clipcl"), { recursive: true })
    execFileSync("tar", ["-xzf", tarball, "-C", join(shared, "clipcl"), "--strip-components=1"])
    linkDependencies(shared)
  }
})

after(() => {
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

/** A fresh project with clipcl installed; `type` as `npm init -y` leaves it, or "module". */
const project = (name: string, type: "commonjs" | "module"): string => {
  const dir = join(tmp, name)
  mkdirSync(join(dir, "pipelines"), { recursive: true })
  execFileSync(npm, ["init", "-y"], { cwd: dir, stdio: "ignore" })
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>
  pkg.type = type
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2))
  if (realInstall) {
    execFileSync(npm, ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: dir, stdio: "ignore", env: { ...process.env, CLIPCL_SKIP_NATIVE: "1" } })
  } else {
    const modules = join(dir, "node_modules")
    mkdirSync(join(modules, ".bin"), { recursive: true })
    symlinkSync(join(tmp, "shared", "node_modules", "clipcl"), join(modules, "clipcl"), "dir")
    symlinkSync("../clipcl/bin/clipcl.js", join(modules, ".bin", "clipcl"))
    linkDependencies(modules)
  }
  return dir
}

/** A pipeline written as a user would: the DSL, moduleSources and the handle types from `clipcl/dsl`. */
const PIPELINE = `import { Schema } from "effect"
import { moduleSources, pipeline, stage, value, type ValueHandle } from "clipcl/dsl"

const numbers = stage({
  name: "numbers", version: 1,
  params: Schema.Struct({ n: Schema.Int.pipe(Schema.positive()) }),
  output: value<ReadonlyArray<number>>(),
  hashIncludes: moduleSources(import.meta.url),
  run: ({ params }) => Array.from({ length: params.n }, (_, i) => i + 1)
})

const sum = stage({
  name: "sum", version: 1,
  params: Schema.Struct({}),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<number>(),
  run: ({ inputs, ctx }) => {
    const s = inputs.xs.reduce((a, b) => a + b, 0)
    ctx.progress(1, 1, { sum: s })
    return s
  }
})

export default pipeline("mine", (p) => {
  const xs: ValueHandle<ReadonlyArray<number>> = p.add(numbers, { params: { n: 4 } })
  p.add(sum, { inputs: { xs } })
})
`

const npx = (dir: string, args: ReadonlyArray<string>) => {
  const r = spawnSync(npm, ["exec", "--offline", "--", "clipcl", ...args], { cwd: dir, encoding: "utf8", timeout: 120_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "" } })
  assert.equal(r.status, 0, `clipcl ${args.join(" ")} in ${dir}: ${r.stderr}${r.stdout.slice(-2000)}`)
  return r.stdout
}

const statuses = (ndjson: string) =>
  Object.fromEntries(ndjson.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l)).filter((e) => e.type === "stage" && ["ran", "cached", "failed", "skipped"].includes(e.status)).map((e) => [e.stage, e.status]))

const skip = built ? false : "dist/ is not built (npm run build)"

for (const [name, type, file] of [["commonjs", "commonjs", "mine.ts"], ["module", "module", "mine.ts"], ["mts", "commonjs", "mine.mts"]] as const) {
  test(`a ${type} project runs its own ${file} with npx clipcl`, { skip }, () => {
    const dir = project(name, type)
    writeFileSync(join(dir, "pipelines", file), PIPELINE)
    const pipelineFile = `pipelines/${file}`
    const plan = npx(dir, ["plan", pipelineFile, "--json"]).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
    assert.deepEqual(plan.map((e) => [e.stage, e.action]), [["numbers", "run"], ["sum", "run"]])
    assert.deepEqual(statuses(npx(dir, ["run", pipelineFile, "--json"])), { numbers: "ran", sum: "ran" })
    assert.deepEqual(statuses(npx(dir, ["run", pipelineFile, "--json"])), { numbers: "cached", sum: "cached" })
    const rows = npx(dir, ["results", pipelineFile, "--json"]).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
    assert.equal(rows.find((r) => r.stage === "sum")?.["metric.sum"], 10, JSON.stringify(rows))
  })
}

test("a project's pipeline builds a study from clipcl/stages, typed with the handle types", { skip }, () => {
  const dir = project("study", "module")
  writeFileSync(join(dir, "pipelines", "study.ts"), `import { pipeline, type CheckpointHandle, type TableHandle } from "clipcl/dsl"
import { addReport, comparedMethods, pretrain, study } from "clipcl/stages"

const data = { source: "synthetic" as const, pretrainSize: 64, pretrainCaptions: 1 }
export default pipeline("my-study", (p) => {
  const base: CheckpointHandle = p.add(pretrain, { name: "pretrain", params: { data, model: { embedDim: 16 } } })
  const report: TableHandle = addReport(p, study(p, base, { data, sessions: 2, methods: comparedMethods }))
  void report
})
`)
  const plan = npx(dir, ["plan", "pipelines/study.ts", "--json"]).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
  assert.ok(plan.some((e) => e.stage === "report") && plan.some((e) => e.stage === "finetune[VR-LwF] session 2"), JSON.stringify(plan.map((e) => e.stage)))
})
