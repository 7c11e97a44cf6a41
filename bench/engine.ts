/**
 * Engine benchmark (`npm run bench:engine`):
 *  1. plan a sweep that expands to 10,000 stage instances (target < 2 s);
 *  2. fully cached re-run of pipelines/example-toy.ts and of that sweep, in-process
 *     and as a `clipcl run` subprocess (target < 1 s beyond Node start-up: the
 *     subprocess figure minus `clipcl --version`, which loads the same code);
 *  3. the cache's 1 GiB write/read figure (bench/cache-io.ts), unless --no-io.
 *
 *   npm run bench:engine -- [--no-io] [--json]
 *
 * Everything runs on a temp cache under os.tmpdir(), removed afterwards.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { CacheStoreLive } from "../src/cache/CacheStore.js"
import { loadPipeline } from "../src/cli/load.js"
import type { Pipeline } from "../src/dsl/Pipeline.js"
import { EventSinkNull } from "../src/scheduler/EventSink.js"
import { makePlan } from "../src/scheduler/plan.js"
import { resolve as resolveDag } from "../src/scheduler/resolve.js"
import { runPipeline } from "../src/scheduler/runPipeline.js"
import { Either } from "effect"

const args = new Set(process.argv.slice(2))
const asJson = args.has("--json")
const results: Record<string, number | string> = {}
const report = (name: string, value: number, unit = "ms", note = "") => {
  results[name] = Number(value.toFixed(1))
  if (!asJson) console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(9)} ${unit}${note ? `  ${note}` : ""}`)
}
const time = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const t0 = performance.now()
  const a = await f()
  return [a, performance.now() - t0]
}

const dir = mkdtempSync(join(tmpdir(), "clipcl-bench-engine-"))
const bin = resolve("bin/clipcl.js")
try {
  const sweep = await Effect.runPromise(loadPipeline("pipelines/example-sweep.ts"))
  const toy = await Effect.runPromise(loadPipeline("pipelines/example-toy.ts"))
  const cache = join(dir, "bench.sqlite")
  const layer = CacheStoreLive(cache)
  const run = (p: Pipeline) => Effect.runPromise(runPipeline(p, { jobs: 2 }).pipe(Effect.provide(EventSinkNull), Effect.provide(layer)))

  // 1. planning: resolve (expand, decode, merge, fingerprint) + plan against an empty cache
  const [dag, resolveMs] = await time(async () => Either.getOrThrow(resolveDag(sweep, "pipelines/example-sweep.ts")))
  report("sweep: resolve 10,000 instances", resolveMs, "ms", `(${dag.nodes.length} instances)`)
  const [, planMs] = await time(() => Effect.runPromise(makePlan(dag).pipe(Effect.provide(layer))))
  report("sweep: plan (cold cache)", planMs)
  report("sweep: resolve + plan", resolveMs + planMs, "ms", "target < 2000")

  // 2. first runs (fill the cache), then fully cached re-runs
  const [first, firstMs] = await time(() => run(sweep))
  report("sweep: first run (10,000 trivial stages)", firstMs, "ms", `(${first.ran} ran)`)
  const [again, againMs] = await time(() => run(sweep))
  report("sweep: fully cached re-run, in-process", againMs, "ms", `(${again.cached} cached; target < 1000)`)
  await run(toy)
  const [toyAgain, toyMs] = await time(() => run(toy))
  report("example-toy: fully cached re-run, in-process", toyMs, "ms", `(${toyAgain.cached} cached)`)

  const sub = (argv: Array<string>) => {
    const t0 = performance.now()
    const r = spawnSync(process.execPath, [bin, ...argv], { encoding: "utf8", maxBuffer: 64 << 20 })
    if (r.status !== 0) throw new Error(`clipcl ${argv.join(" ")} exited ${r.status}: ${r.stderr}`)
    return performance.now() - t0
  }
  const startup = Math.min(sub(["--version"]), sub(["--version"]))
  report("subprocess: clipcl --version (start-up)", startup)
  const toySub = sub(["run", "pipelines/example-toy.ts", "--json", "--cache", cache])
  report("subprocess: example-toy cached re-run", toySub, "ms", `(beyond start-up: ${(toySub - startup).toFixed(0)} ms)`)
  const sweepSub = sub(["run", "pipelines/example-sweep.ts", "--json", "--cache", cache])
  report("subprocess: sweep cached re-run", sweepSub, "ms", `(beyond start-up: ${(sweepSub - startup).toFixed(0)} ms)`)
  results["subprocess: toy beyond start-up"] = Number((toySub - startup).toFixed(1))
  results["subprocess: sweep beyond start-up"] = Number((sweepSub - startup).toFixed(1))

  // 3. the cache's 1 GiB write/read figure
  const io = resolve("bench/cache-io.ts")
  if (!args.has("--no-io") && existsSync(io)) {
    const mod = (await import(pathToFileURL(io).href)) as { runCacheIoBench?: (o?: { dir?: string }) => Promise<Record<string, number>> }
    if (typeof mod.runCacheIoBench === "function") {
      const r = await mod.runCacheIoBench({ dir })
      report("cache: write 1 GiB artifact", r.writeMBps!, "MB/s")
      report("cache: stream-read 1 GiB artifact", r.streamReadMBps!, "MB/s")
      if (r.wholeReadMBps) report("cache: whole-read 1 GiB artifact", r.wholeReadMBps, "MB/s")
      report("cache: peak RSS", r.peakRssBytes! / 2 ** 20, "MiB")
    }
  }
  if (asJson) console.log(JSON.stringify(results))
} finally {
  rmSync(dir, { recursive: true, force: true })
}
