// A stage declared without `params` takes none: it plans and runs like one declaring an empty
// struct; a params value that is not a Schema is an error naming the stage kind.
import assert from "node:assert/strict"
import { test } from "node:test"
import { Effect, Either, Schema } from "effect"
import { CacheStoreMemory } from "../../src/cache/CacheStore.js"
import { pipeline, stage, value, type Pipeline } from "../../src/dsl/index.js"
import { collecting } from "../../src/scheduler/EventSink.js"
import { resolve } from "../../src/scheduler/resolve.js"
import { runPipeline } from "../../src/scheduler/runPipeline.js"

const statuses = async (p: Pipeline): Promise<Array<string>> => {
  const c = collecting()
  await Effect.runPromise(Effect.scoped(runPipeline(p, {}).pipe(Effect.provide(c.layer), Effect.provide(CacheStoreMemory))))
  return c.events.flatMap((e) => (e.type === "stage" ? [e.status] : []))
}

test("a stage declared without params plans and runs like one with an empty struct", async () => {
  const bare = stage({ name: "bare", version: 1, output: value<number>(), run: () => 7 })
  const empty = stage({ name: "bare", version: 1, params: Schema.Struct({}), output: value<number>(), run: () => 7 })
  const key = (def: typeof bare) => JSON.stringify(Either.getOrThrow(resolve(pipeline("b", (b) => void b.add(def, {})), "b.ts")).nodes[0]!.static)
  assert.equal(key(bare), key(empty))
  assert.deepEqual(await statuses(pipeline("b", (b) => void b.add(bare, {}))), ["running", "ran"])
})

test("params that are not a Schema are an error naming the stage kind, not an internal error", () => {
  const odd = stage({ name: "odd", version: 1, params: { k: 1 } as any, output: value<number>(), run: () => 1 })
  const r = resolve(pipeline("o", (b) => void b.add(odd, {})), "o.ts")
  assert.ok(Either.isLeft(r))
  const problem = (r.left as any).problems[0]
  assert.equal(problem._tag, "InvalidParams")
  assert.match(String(problem.detail), /stage kind 'odd'.*not an effect Schema/)
})
