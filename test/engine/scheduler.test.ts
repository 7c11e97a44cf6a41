// In-process scheduler tests on an in-memory cache: caching, invalidation, early cutoff,
// sweeps, in-flight dedupe, overrides, --force/--only, failures, interruption.
import assert from "node:assert/strict"
import { writeFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { Deferred, Effect, Either, Option, Schema } from "effect"
import { CacheStore, CacheStoreMemory, type CacheStoreService, type ContentHash } from "../../src/cache/CacheStore.js"
import { cacheKey, stageKey } from "../../src/scheduler/keys.js"
import { pipeline, stage, value, type Pipeline } from "../../src/dsl/index.js"
import { collecting } from "../../src/scheduler/EventSink.js"
import type { EngineEvent } from "../../src/scheduler/Event.js"
import type { ExecuteOptions, RunResult } from "../../src/scheduler/execute.js"
import { parseOverride, resolve, type Override } from "../../src/scheduler/resolve.js"
import { planPipeline, runPipeline, type PlanPipelineOptions } from "../../src/scheduler/runPipeline.js"
import { boom, chain, counts, embed, norms, numbers, parity, resetCounts, shout, sleep, square, total } from "./toy.js"

type Run = (p: Pipeline, o?: PlanPipelineOptions & ExecuteOptions) => Promise<{ result: RunResult; events: Array<EngineEvent> }>

/** Run `body` with one in-memory cache shared by all its runs. */
const session = (body: (run: Run, cache: CacheStoreService) => Promise<void>): Promise<void> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const cache = yield* CacheStore
        const run: Run = (p, o = {}) => {
          const c = collecting()
          return Effect.runPromise(runPipeline(p, o).pipe(Effect.provide(c.layer), Effect.provideService(CacheStore, cache))).then((result) => ({ result, events: c.events }))
        }
        yield* Effect.promise(() => body(run, cache))
      }).pipe(Effect.provide(CacheStoreMemory))
    )
  )

const finals = (events: ReadonlyArray<EngineEvent>): Record<string, string> =>
  Object.fromEntries(events.flatMap((e) => (e.type === "stage" && e.status !== "running" && e.status !== "queued" ? [[e.stage, e.status]] : [])))

const keysOf = (events: ReadonlyArray<EngineEvent>): Record<string, string> =>
  Object.fromEntries(events.flatMap((e) => (e.type === "stage" && e.status !== "running" ? [[e.stage, e.key]] : [])))

const overrides = (...xs: Array<string>): Array<Override> => xs.map((x) => Either.getOrThrow(parseOverride(x)))

test("a chain runs once, then every stage is a cache hit", async () => {
  resetCounts()
  await session(async (run) => {
    const a = await run(chain())
    assert.deepEqual(finals(a.events), { numbers: "ran", square: "ran", total: "ran" })
    const b = await run(chain())
    assert.deepEqual(finals(b.events), { numbers: "cached", square: "cached", total: "cached" })
    assert.deepEqual(keysOf(a.events), keysOf(b.events))
    assert.equal(counts.get("total"), 1)
    const summary = b.events.at(-1)!
    assert.equal(summary.type, "summary")
    if (summary.type === "summary") assert.deepEqual([summary.ran, summary.cached, summary.failed, summary.skipped, summary.interrupted], [0, 3, 0, 0, false])
  })
})

test("keys ignore param order, 1 vs 1.0 and explicit defaults", () => {
  const keyOf = (params: Record<string, unknown>) => {
    const p = pipeline("h", (b) => void b.add(numbers, { params: params as { n: number } }))
    const dag = Either.getOrThrow(resolve(p, "h.ts"))
    return JSON.stringify(dag.nodes[0]!.static)
  }
  assert.equal(keyOf({ n: 3, start: 0 }), keyOf({ start: 0, n: 3 }))
  assert.equal(keyOf({ n: 3 }), keyOf({ n: 3.0, start: 0 }))
  assert.equal(keyOf({ n: 3, start: -0 }), keyOf({ n: 3 }))
  assert.notEqual(keyOf({ n: 3 }), keyOf({ n: 4 }))
  assert.notEqual(keyOf({ n: 3 }), keyOf({ n: 3, start: 1 }))
})

test("stageKey (static parts serialised once per instance) equals cacheKey of the whole pre-image", () => {
  const p = pipeline("k", (b) => void b.add(square, { params: { k: 2.5 }, inputs: { xs: b.add(numbers, { params: { n: 3 } }) } }))
  const dag = Either.getOrThrow(resolve(p, "k.ts"))
  for (const node of dag.nodes) {
    const inputs = Object.fromEntries(Object.keys(node.inputs).map((k) => [k, "ab".repeat(32) as ContentHash]))
    assert.equal(stageKey(node.static, inputs), cacheKey({ ...node.static, inputs }))
    assert.equal(stageKey(node.static, inputs), stageKey(node.static, inputs), "memoised template gives the same key")
  }
  const odd = { kind: "x", version: 1, fingerprint: "f", params: { note: "\u0000inputs\u0000" }, seed: 0, env: {} }
  assert.equal(stageKey(odd, {}), cacheKey({ ...odd, inputs: {} }), "params containing the template mark fall back")
})

test("changing a param re-runs the stage and what depends on it", async () => {
  resetCounts()
  await session(async (run) => {
    await run(chain(4, 2))
    const b = await run(chain(4, 3))
    assert.deepEqual(finals(b.events), { numbers: "cached", square: "ran", total: "ran" })
    const c = await run(chain(5, 3))
    assert.deepEqual(finals(c.events), { numbers: "ran", square: "ran", total: "ran" })
    assert.equal(counts.get("numbers"), 2)
  })
})

test("editing a stage's code (its run source) invalidates it; the version does too", async () => {
  const def = (run: () => number, version = 1) => stage({ name: "f", version, params: Schema.Struct({}), output: value<number>(), run })
  const p = (s: ReturnType<typeof def>) => pipeline("code", (b) => void b.add(s, {}))
  await session(async (run) => {
    assert.deepEqual(finals((await run(p(def(() => 2 + 1)))).events), { f: "ran" })
    assert.deepEqual(finals((await run(p(def(() => 2 + 1)))).events), { f: "cached" }, "same source, new function object: cached")
    assert.deepEqual(finals((await run(p(def(() => 2 * 2)))).events), { f: "ran" })
    assert.deepEqual(finals((await run(p(def(() => 2 * 2, 2)))).events), { f: "ran" })
  })
})

test("hashIncludes files are fingerprinted; a missing one makes the stage an error (fail closed)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-engine-"))
  try {
    const helper = join(dir, "helper.txt")
    writeFileSync(helper, "one")
    const make = () => stage({ name: "inc", version: 1, params: Schema.Struct({}), output: value<number>(), hashIncludes: [helper], run: () => 1 })
    await session(async (run) => {
      assert.deepEqual(finals((await run(pipeline("inc", (b) => void b.add(make(), {})))).events), { inc: "ran" })
      assert.deepEqual(finals((await run(pipeline("inc", (b) => void b.add(make(), {})))).events), { inc: "cached" })
      writeFileSync(helper, "two")
      // fingerprints are memoised per file within a process; a new process sees the edit. Simulate with a copy:
      const copy = join(dir, "helper2.txt")
      writeFileSync(copy, "two")
      const edited = stage({ name: "inc", version: 1, params: Schema.Struct({}), output: value<number>(), hashIncludes: [copy], run: () => 1 })
      assert.deepEqual(finals((await run(pipeline("inc", (b) => void b.add(edited, {})))).events), { inc: "ran" })
    })
    const missing = stage({ name: "m", version: 1, params: Schema.Struct({}), output: value<number>(), hashIncludes: [join(dir, "nope.ts")], run: () => 1 })
    const r = resolve(pipeline("m", (b) => void b.add(missing, {})), "m.ts")
    assert.ok(Either.isLeft(r))
    const problem = (r.left as any).problems[0]
    assert.equal(problem._tag, "KeyUncomputable")
    assert.equal(problem.stage, "m")
    assert.equal(problem.field, "fingerprint")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("early cutoff: an upstream re-run that yields the same bytes leaves downstream cached", async () => {
  resetCounts()
  const p = (n: number) =>
    pipeline("cutoff", (b) => {
      const s = b.add(parity, { params: { n } })
      b.add(shout, { inputs: { s } })
    })
  await session(async (run) => {
    await run(p(2))
    const b = await run(p(4))
    assert.deepEqual(finals(b.events), { parity: "ran", shout: "cached" })
    assert.equal(counts.get("shout"), 1)
    const c = await run(p(3))
    assert.deepEqual(finals(c.events), { parity: "ran", shout: "ran" })
  })
})

test("a sweep shares its prefixes: alpha × vocab runs each vocab prefix once", async () => {
  resetCounts()
  const p = pipeline("sweep", (b) => {
    b.sweep({ alpha: [0, 0.5, 1], vocab: [10, 100] }, ({ alpha, vocab }) => {
      const xs = b.add(numbers, { params: { n: vocab } })
      b.add(square, { params: { k: alpha }, inputs: { xs } })
    })
  })
  await session(async (run) => {
    const plan = await Effect.runPromise(planPipeline(p).pipe(Effect.provide(CacheStoreMemory)))
    assert.equal(plan.selected.length, 2 + 6)
    const a = await run(p, { jobs: 3 })
    assert.equal(counts.get("numbers"), 2)
    assert.equal(counts.get("square"), 6)
    assert.equal(a.result.ran, 8)
    assert.equal(finals(a.events)["square[alpha=0.5,vocab=100]"], "ran")
    // The shared prefix is named by the one dimension it depends on.
    assert.equal(finals(a.events)["numbers[vocab=100]"], "ran")
  })
})

test("two instances that turn out identical at run time share one in-flight run", async () => {
  resetCounts()
  // parity(2) and parity(4) differ, but both yield "even": their `shout`s get one key.
  const slowShout = stage({
    name: "slowShout",
    version: 1,
    params: Schema.Struct({}),
    inputs: { s: value<string>() },
    output: value<string>(),
    run: ({ inputs }) => Effect.gen(function* () {
      counts.set("slowShout", (counts.get("slowShout") ?? 0) + 1)
      yield* Effect.sleep(150)
      return inputs.s.toUpperCase()
    })
  })
  const p = pipeline("inflight", (b) => {
    const a = b.add(parity, { name: "pa", params: { n: 2 } })
    const c = b.add(parity, { name: "pc", params: { n: 4 } })
    b.add(slowShout, { name: "sa", inputs: { s: a } })
    b.add(slowShout, { name: "sc", inputs: { s: c } })
    b.add(square, { params: { k: 1 }, inputs: { xs: b.add(numbers, { params: { n: 2 } }) } })
    b.add(square, { params: { k: 1 }, inputs: { xs: b.add(numbers, { params: { n: 2 } }) } })
  })
  await session(async (run) => {
    const r = await run(p, { jobs: 4 })
    assert.equal(counts.get("slowShout"), 1)
    assert.equal(counts.get("square"), 1, "statically identical instances are merged")
    const f = finals(r.events)
    assert.deepEqual([f.sa, f.sc].sort(), ["cached", "ran"])
    assert.equal(r.result.failed, 0)
  })
})

test("--set overrides are decoded by the stage's Schema; bad ones name file, stage and field", async () => {
  resetCounts()
  await session(async (run) => {
    const r = await run(chain(4, 2), { overrides: overrides("square.k=5", "numbers.n=3") })
    assert.equal(r.result.ran, 3)
    const keyed = await run(chain(3, 5))
    assert.deepEqual(finals(keyed.events), { numbers: "cached", square: "cached", total: "cached" })
  })
  const bad = resolve(chain(), "chain.ts", overrides("square.k=abc"))
  assert.ok(Either.isLeft(bad))
  const problem = (bad.left as any).problems[0]
  assert.deepEqual([problem._tag, problem.file, problem.stage, problem.field], ["InvalidParams", "chain.ts", "square", "k"])
  const unknown = resolve(chain(), "chain.ts", overrides("nosuch.k=1"))
  assert.equal(Either.isLeft(unknown) && (unknown.left as any).problems[0]._tag, "UnknownStage")
  const extra = resolve(chain(), "chain.ts", overrides("square.kk=1"))
  assert.equal(Either.isLeft(extra) && (extra.left as any).problems[0].field, "kk")
  assert.deepEqual(Either.getOrThrow(parseOverride("train[alpha=0.5].lr=0.1")), { stage: "train[alpha=0.5]", path: ["lr"], value: 0.1, text: "train[alpha=0.5].lr=0.1" })
  assert.deepEqual(Either.getOrThrow(parseOverride("a.name=hello")), { stage: "a", path: ["name"], value: "hello", text: "a.name=hello" })
})

test("--force re-runs a stage and its dependents; --only runs a stage and its prerequisites", async () => {
  resetCounts()
  await session(async (run) => {
    await run(chain())
    const f = await run(chain(), { force: ["square"] })
    assert.deepEqual(finals(f.events), { numbers: "cached", square: "ran", total: "ran" })
    const plan = f.events.find((e) => e.type === "plan")!
    assert.ok(plan.type === "plan" && plan.stages.find((s) => s.stage === "square")!.reasons.includes("forced (--force)"))
  })
  resetCounts()
  await session(async (run) => {
    const o = await run(chain(), { only: ["square"] })
    assert.deepEqual(finals(o.events), { numbers: "ran", square: "ran" })
    assert.equal(counts.get("total"), undefined)
  })
})

test("a failure skips its dependents; independent stages go on; the failure is recorded", async () => {
  resetCounts()
  const p = pipeline("fail", (b) => {
    const x = b.add(boom, {})
    b.add(shout, { inputs: { s: b.ref("boomText", value<string>()) } })
    b.add(stage({ name: "after", version: 1, params: Schema.Struct({}), inputs: { x: value<number>() }, output: value<number>(), run: ({ inputs }) => inputs.x + 1 }), { inputs: { x } })
    b.add(stage({ name: "boomText", version: 1, params: Schema.Struct({}), inputs: { x: value<number>() }, output: value<string>(), run: () => "x" }), { inputs: { x } })
    b.add(sleep, { params: { ms: 50 } })
  })
  await session(async (run, cache) => {
    const r = await run(p, { jobs: 2 })
    assert.deepEqual(finals(r.events), { boom: "failed", after: "skipped", boomText: "skipped", shout: "skipped", sleep: "ran" })
    assert.deepEqual([r.result.failed, r.result.skipped, r.result.ran], [1, 3, 1])
    const failed = r.events.find((e) => e.type === "stage" && e.status === "failed")
    assert.match((failed as any).error.message, /boom went off/)
    const last = await Effect.runPromise(cache.lastRun("fail", "boom"))
    assert.equal(Option.getOrThrow(last).status, "failed")
    assert.match(Option.getOrThrow(last).error ?? "", /boom went off/)
  })
})

test("--fail-fast stops independent running stages at the first failure", async () => {
  resetCounts()
  const p = pipeline("ff", (b) => {
    b.add(sleep, { params: { ms: 5000 } })
    b.add(boom, {})
  })
  await session(async (run) => {
    const t0 = Date.now()
    const r = await run(p, { jobs: 2, failFast: true })
    assert.ok(Date.now() - t0 < 4000, "did not wait for the sleeping stage")
    assert.equal(finals(r.events).boom, "failed")
    assert.equal(finals(r.events).sleep, "interrupted")
    assert.deepEqual([r.result.failed, r.result.interruptedStages], [1, 1])
    assert.equal(r.result.interrupted, false)
  })
})

test("stopping interrupts running stages: nothing cached for them, the run is recorded interrupted, re-run works", async () => {
  resetCounts()
  const p = pipeline("stop", (b) => {
    const xs = b.add(numbers, { params: { n: 3 } })
    b.add(sleep, { params: { ms: 3000, tag: "long" } })
    b.add(total, { inputs: { xs } })
  })
  await session(async (run, cache) => {
    const stop = await Effect.runPromise(Deferred.make<void>())
    setTimeout(() => Effect.runSync(Deferred.succeed(stop, undefined)), 400)
    const r = await run(p, { jobs: 2, stop })
    assert.equal(r.result.interrupted, true)
    // Its own status, not a failure carrying a message to match on.
    const stopped = r.events.find((e) => e.type === "stage" && e.stage === "sleep" && e.status !== "running" && e.status !== "queued") as any
    assert.equal(stopped.status, "interrupted")
    assert.equal(stopped.error, undefined)
    const summary = r.events.at(-1) as any
    assert.deepEqual([summary.failed, summary.interruptedStages], [0, 1])
    assert.equal(finals(r.events).total, "ran")
    const last = Option.getOrThrow(await Effect.runPromise(cache.lastRun("stop", "sleep")))
    assert.equal(last.status, "interrupted")
    assert.equal(Option.isNone(await Effect.runPromise(cache.lookup(last.key))), true)
    const again = await run(p, { jobs: 2 })
    assert.deepEqual(finals(again.events), { numbers: "cached", sleep: "ran", total: "cached" })
  })
})

test("tensors and tables round-trip through the cache between stages", async () => {
  const p = pipeline("tensors", (b) => {
    const xs = b.add(numbers, { params: { n: 3 } })
    const emb = b.add(embed, { params: { dim: 2 }, inputs: { xs } })
    b.add(norms, { inputs: { emb } })
  })
  await session(async (run, cache) => {
    const r = await run(p)
    assert.equal(r.result.ran, 3)
    const rec = Option.getOrThrow(await Effect.runPromise(cache.lastRun("tensors", "norms")))
    const bytes = await Effect.runPromise(cache.readArtifact(rec.output!))
    const t = JSON.parse(new TextDecoder().decode(bytes))
    assert.deepEqual(t.columns, ["row", "norm"])
    assert.equal(t.rows.length, 3)
    assert.ok(Math.abs(t.rows[1][1] - Math.hypot(1, 1.1)) < 1e-6)
  })
})

test("resources bound concurrency: two accelerator stages never overlap", async () => {
  let active = 0
  let peak = 0
  const gpu = stage({
    name: "gpu",
    version: 1,
    params: Schema.Struct({ i: Schema.Number }),
    output: value<number>(),
    resources: { accelerator: 1 },
    run: ({ params }) => Effect.gen(function* () {
      active++
      peak = Math.max(peak, active)
      yield* Effect.sleep(60)
      active--
      return params.i
    })
  })
  const p = pipeline("res", (b) => {
    for (let i = 0; i < 4; i++) b.add(gpu, { params: { i } })
  })
  await session(async (run) => {
    const r = await run(p, { jobs: 4 })
    assert.equal(r.result.ran, 4)
    assert.equal(peak, 1)
  })
})
