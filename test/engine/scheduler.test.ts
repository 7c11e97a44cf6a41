import assert from "node:assert/strict"
import { test } from "node:test"
import { Effect, Layer } from "effect"
import { CacheStore, CacheStoreMemory } from "../../src/cache/CacheStore.js"
import { pipeline } from "../../src/dsl/index.js"
import { collecting } from "../../src/scheduler/EventSink.js"
import { runPipeline, type PlanPipelineOptions } from "../../src/scheduler/runPipeline.js"
import type { ExecuteOptions } from "../../src/scheduler/execute.js"
import { boom, chain, counts, embed, norms, numbers, parity, resetCounts, shout, sleep, square, total } from "./toy.js"
import type { Pipeline } from "../../src/dsl/Pipeline.js"

/** Run pipelines against one in-memory cache; returns results and events of each run. */
const session = async (body: (run: (p: Pipeline, o?: PlanPipelineOptions & ExecuteOptions) => Promise<{ result: Awaited<ReturnType<typeof runOnce>>; events: Array<any> }>) => Promise<void>) => {
  const program = Effect.gen(function* () {
    const cache = yield* CacheStore
    const run = (p: Pipeline, o: PlanPipelineOptions & ExecuteOptions = {}) => {
      const c = collecting()
      return Effect.runPromise(runPipeline(p, o).pipe(Effect.provide(c.layer), Effect.provideService(CacheStore, cache))).then((result) => ({ result, events: c.events }))
    }
    yield* Effect.promise(() => body(run as any))
  })
  await Effect.runPromise(Effect.scoped(program.pipe(Effect.provide(CacheStoreMemory))))
}
const runOnce = (p: Pipeline) => Effect.runPromise(runPipeline(p).pipe(Effect.provide(Layer.merge(collecting().layer, CacheStoreMemory))))

const statusOf = (events: Array<any>) => Object.fromEntries(events.filter((e) => e.type === "stage" && e.status !== "running").map((e) => [e.stage, e.status]))

test("a chain runs, then is fully cached", async () => {
  resetCounts()
  await session(async (run) => {
    const a = await run(chain())
    assert.deepEqual([a.result.ran, a.result.cached, a.result.failed], [3, 0, 0])
    assert.deepEqual(statusOf(a.events), { numbers: "ran", square: "ran", total: "ran" })
    const b = await run(chain())
    assert.deepEqual([b.result.ran, b.result.cached], [0, 3])
    assert.equal(counts.get("total"), 1)
    const summary = b.events.at(-1)
    assert.equal(summary.type, "summary")
    assert.equal(summary.cached, 3)
  })
})
