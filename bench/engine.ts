/**
 * Engine benchmark (`npm run bench:engine`):
 *  1. plan a sweep that expands to 10,000 stage instances (target < 2 s);
 *  2. run that sweep once to fill a cache (10,000 trivial stages), reporting
 *     the time and the heap left after a gc;
 *  3. fully cached re-runs of the sweep and of pipelines/example-toy.ts,
 *     in-process and as `clipcl run --json` subprocesses (target < 1 s beyond
 *     Node's start-up: the subprocess time minus `clipcl --version`, which
 *     loads the same CLI code);
 *  4. with `--quickstart-cache PATH` (a cache filled by `clipcl run
 *     pipelines/quickstart.ts --cache PATH`): the fully cached re-run of the
 *     quickstart as a subprocess, the same way (`--quickstart-file FILE` to
 *     time another pipeline against that cache, e.g. pipelines/example-toy.ts);
 *  5. the cache's 1 GiB write/read figure (bench/cache-io.ts), unless --no-io;
 *  0. first, start-up (unless --no-subprocess): wall time of whole processes,
 *     median of 5 (`--startup-reps N`), after one warm-up run each:
 *     `clipcl --version` (target 0.2 s), `clipcl plan pipelines/quickstart.ts`
 *     (target 0.8 s) and, with `--quickstart-cache PATH`, a fully cached
 *     `npm start -- --cache PATH` (target 0.8 s), with the heavy packages
 *     (tfjs, sharp, vega, ink) each command loaded. `--startup-only` stops
 *     there.
 *
 *   npm run bench:engine -- [--no-io] [--no-subprocess] [--json] [--reps N] [--startup-only] [--startup-reps N]
 *                           [--quickstart-cache PATH [--quickstart-file FILE]]
 *                           [--sweep-file FILE] [--toy-file FILE]   (other copies of the two pipelines,
 *                                                                    e.g. bundled ones on a machine without tsx)
 *
 * Subprocess figures are the fastest of N runs (default 3) of each command,
 * alternating, so a burst of load on a shared machine does not decide them.
 * Everything but the quickstart cache lives under os.tmpdir() and is removed.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect, Either } from "effect"
import { CacheStoreLive } from "../src/cache/CacheStore.js"
import { loadPipeline } from "../src/cli/load.js"
import type { Pipeline } from "../src/dsl/Pipeline.js"
import { EventSinkNull } from "../src/scheduler/EventSink.js"
import { makePlan } from "../src/scheduler/plan.js"
import { resolve as resolveDag } from "../src/scheduler/resolve.js"
import { runPipeline } from "../src/scheduler/runPipeline.js"

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(name)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const asJson = flag("--json")
const reps = Math.max(1, Number(option("--reps") ?? 3))
const quickstartCache = option("--quickstart-cache")
const quickstartFile = option("--quickstart-file") ?? "pipelines/quickstart.ts"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const results: Record<string, number | string> = {}
const report = (name: string, value: number, unit = "ms", note = "") => {
  results[name] = Number(value.toFixed(1))
  if (!asJson) console.log(`${name.padEnd(46)} ${value.toFixed(1).padStart(9)} ${unit}${note ? `  ${note}` : ""}`)
}
const time = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const t0 = performance.now()
  const a = await f()
  return [a, performance.now() - t0]
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ")

const bin = resolve("bin/clipcl.js")
/** One `clipcl` subprocess: wall time, exit code and the NDJSON summary (if any). */
const sub = (args: ReadonlyArray<string>) => {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 256 << 20 })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`clipcl ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
  const last = r.stdout.trimEnd().split("\n").at(-1) ?? ""
  return { ms, stdout: r.stdout, summary: last.startsWith("{") ? (JSON.parse(last) as { type: string; ran?: number; cached?: number }) : undefined }
}
/** Fastest of `reps` runs of `clipcl --version` and of `args`, alternating. */
const beyondStartup = (args: ReadonlyArray<string>) => {
  let startup = Infinity
  let run = Infinity
  let summary: ReturnType<typeof sub>["summary"]
  for (let i = 0; i < reps; i++) {
    startup = Math.min(startup, sub(["--version"]).ms)
    const r = sub(args)
    run = Math.min(run, r.ms)
    summary = r.summary
  }
  return { startup, run, beyond: run - startup, summary }
}

const HEAVY = ["@tensorflow/tfjs-core", "sharp", "vega", "ink", "tsx"]

/** Wall time of a whole process, median of `n` after a warm-up run, and the heavy packages it loaded. */
const wall = (command: string, args: ReadonlyArray<string>, n: number) => {
  const traceFile = join(dir, "loaded.txt")
  const once = (trace: boolean) => {
    rmSync(traceFile, { force: true })
    const env = trace ? { ...process.env, CLIPCL_LOADED_PACKAGES: traceFile, NODE_OPTIONS: `--import=${pathToFileURL(resolve("bench/loaded-packages.mjs")).href}` } : process.env
    const t0 = performance.now()
    const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 256 << 20, env })
    const ms = performance.now() - t0
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr}`)
    return ms
  }
  once(true)
  const loaded = existsSync(traceFile) ? readFileSync(traceFile, "utf8").split("\n").filter((p) => HEAVY.includes(p)) : []
  const times = Array.from({ length: n }, () => once(false)).sort((a, b) => a - b)
  return { median: times[Math.floor(n / 2)]!, loaded }
}

const dir = mkdtempSync(join(tmpdir(), "clipcl-bench-engine-"))
try {
  if (!asJson) console.log(`load average at start: ${load()}`)
  results["load at start"] = load()

  // 0. start-up, as a user sees it
  if (!flag("--no-subprocess")) {
    const n = Math.max(1, Number(option("--startup-reps") ?? 5))
    const version = wall(process.execPath, [bin, "--version"], n)
    report("start-up: clipcl --version", version.median, "ms", `(median of ${n}; target <= 200)`)
    const planCache = quickstartCache ?? join(dir, "plan.sqlite")
    const plan = wall(process.execPath, [bin, "plan", quickstartFile, "--cache", planCache], n)
    report(`start-up: clipcl plan ${quickstartFile}`, plan.median, "ms", `(median of ${n}; target <= 800; loads ${plan.loaded.join(", ") || "none of tfjs, sharp, vega, ink, tsx"})`)
    if (quickstartCache !== undefined) {
      const npm = process.platform === "win32" ? "npm.cmd" : "npm"
      const start = wall(npm, ["start", "--silent", "--", "--cache", quickstartCache, "--no-tui"], n)
      report("start-up: fully cached npm start", start.median, "ms", `(median of ${n}; target <= 800; loads ${start.loaded.join(", ") || "none of tfjs, sharp, vega, ink, tsx"})`)
    }
    if (!asJson) console.log(`load average after start-up: ${load()}`)
    if (flag("--startup-only")) {
      if (asJson) console.log(JSON.stringify(results))
      rmSync(dir, { recursive: true, force: true })
      process.exit(0)
    }
  }
  const sweep = await Effect.runPromise(loadPipeline(option("--sweep-file") ?? "pipelines/example-sweep.ts"))
  const toy = await Effect.runPromise(loadPipeline(option("--toy-file") ?? "pipelines/example-toy.ts"))
  const cache = join(dir, "bench.sqlite")
  const layer = CacheStoreLive(cache)
  const run = (p: Pipeline) => Effect.runPromise(runPipeline(p, { jobs: 2 }).pipe(Effect.provide(EventSinkNull), Effect.provide(layer)))

  // 1. planning: resolve (expand, decode, merge, fingerprint) + plan against an empty cache
  const [dag, resolveMs] = await time(async () => Either.getOrThrow(resolveDag(sweep, "pipelines/example-sweep.ts")))
  report("sweep: resolve 10,000 instances", resolveMs, "ms", `(${dag.nodes.length} instances)`)
  const [, planMs] = await time(() => Effect.runPromise(makePlan(dag).pipe(Effect.provide(layer))))
  report("sweep: plan (cold cache)", planMs)
  report("sweep: resolve + plan", resolveMs + planMs, "ms", "target < 2000")

  // 2. the first run fills the cache
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  const [first, firstMs] = await time(() => run(sweep))
  report("sweep: first run (10,000 trivial stages)", firstMs, "ms", `(${first.ran} ran)`)
  gc()
  report("sweep: heap retained after the first run", (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20, "MiB")

  // 3. fully cached re-runs
  const [again, againMs] = await time(() => run(sweep))
  report("sweep: fully cached re-run, in-process", againMs, "ms", `(${again.cached} cached; target < 1000)`)
  await run(toy)
  const [toyAgain, toyMs] = await time(() => run(toy))
  report("example-toy: fully cached re-run, in-process", toyMs, "ms", `(${toyAgain.cached} cached)`)

  // Subprocesses: `clipcl run --json` against the caches filled above.
  if (!flag("--no-subprocess")) {
    const toySub = beyondStartup(["run", "pipelines/example-toy.ts", "--json", "--cache", cache])
    report("subprocess: clipcl --version (start-up)", toySub.startup, "ms", `(fastest of ${reps})`)
    report("subprocess: example-toy cached re-run", toySub.run, "ms", `(beyond start-up: ${toySub.beyond.toFixed(0)} ms)`)
    const sweepSub = beyondStartup(["run", "pipelines/example-sweep.ts", "--json", "--cache", cache])
    report("subprocess: sweep cached re-run", sweepSub.run, "ms", `(beyond start-up: ${sweepSub.beyond.toFixed(0)} ms; ${sweepSub.summary?.cached} cached; target < 1000)`)
    results["subprocess: toy beyond start-up"] = Number(toySub.beyond.toFixed(1))
    results["subprocess: sweep beyond start-up"] = Number(sweepSub.beyond.toFixed(1))
  }

  // 4. the quickstart, against a cache the caller filled
  if (quickstartCache !== undefined) {
    if (!existsSync(quickstartCache)) throw new Error(`--quickstart-cache ${quickstartCache}: no such file`)
    // Refuse to start a 15-minute run by accident: everything must be cached already.
    const plan = sub(["plan", quickstartFile, "--json", "--cache", quickstartCache])
    const toRun = plan.stdout.trim().split("\n").map((l) => JSON.parse(l) as { stage: string; action: string }).filter((e) => e.action !== "cached")
    if (toRun.length > 0) throw new Error(`${quickstartFile} is not fully cached in ${quickstartCache}: ${toRun.length} stages would run (${toRun.slice(0, 3).map((e) => e.stage).join(", ")}...)`)
    const q = beyondStartup(["run", quickstartFile, "--json", "--cache", quickstartCache])
    report(`subprocess: ${quickstartFile} cached re-run`, q.run, "ms", `(beyond start-up: ${q.beyond.toFixed(0)} ms; ${q.summary?.cached} cached; target < 1000)`)
    results["subprocess: quickstart beyond start-up"] = Number(q.beyond.toFixed(1))
  }

  // 5. the cache's 1 GiB write/read figure
  const io = resolve("bench/cache-io.ts")
  if (!flag("--no-io") && existsSync(io)) {
    const mod = (await import(pathToFileURL(io).href)) as { runCacheIoBench?: (o?: { dir?: string }) => Promise<Record<string, number>> }
    if (typeof mod.runCacheIoBench === "function") {
      const r = await mod.runCacheIoBench({ dir })
      report("cache: write 1 GiB artifact (put returns: fsync'd)", r.writeMBps!, "MB/s", "(target >= 500)")
      report("cache: write counting store close + checkpoint", r.writeAllMBps!, "MB/s")
      report("cache: read 1 GiB artifact (scan: borrowed pieces, sha256)", r.scanReadMBps!, "MB/s", "(target >= 500)")
      report("cache: stream-read 1 GiB artifact (owned pieces)", r.streamReadMBps!, "MB/s")
      if (r.wholeReadMBps) report("cache: whole-read 1 GiB artifact", r.wholeReadMBps, "MB/s", `(a fresh 1 GiB buffer alone: ${r.freshMemoryMBps!.toFixed(0)} MB/s)`)
      report("cache: peak RSS", r.peakRssBytes! / 2 ** 20, "MiB")
    }
  }
  results["load at end"] = load()
  if (asJson) console.log(JSON.stringify(results))
  else console.log(`load average at end: ${load()}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
