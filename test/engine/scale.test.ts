// Large DAGs: memory must not grow per executed stage, and the executor must stay linear.
// (A sweep of 10,000 trivial stages once ran out of heap: every waiting stage held a fiber
// on a semaphore that woke all waiters at each release.)
import assert from "node:assert/strict"
import { test } from "node:test"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect, Schema } from "effect"
import { CacheStoreMemory } from "../../src/cache/CacheStore.js"
import { pipeline, stage, value } from "../../src/dsl/index.js"
import { EventSinkNull } from "../../src/scheduler/EventSink.js"
import { runPipeline } from "../../src/scheduler/runPipeline.js"
import { makeSlots } from "../../src/scheduler/slots.js"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
const heapAfterGc = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

test("heap stays flat while thousands of trivial stages execute", { timeout: 60_000 }, async () => {
  // A few shared prefixes, each readying hundreds of stages at once (the shape of a sweep).
  const PREPS = 4
  const SCORES = 500
  const total = PREPS * SCORES
  const samples = new Map<number, number>()
  let done = 0
  // Heap is sampled from inside the stages, i.e. while the rest of the sweep is queued.
  const sampleAt = new Set([Math.floor(total * 0.2), Math.floor(total * 0.5), Math.floor(total * 0.9)])
  const prep = stage({
    name: "prep",
    version: 1,
    params: Schema.Struct({ v: Schema.Int }),
    output: value<ReadonlyArray<number>>(),
    run: ({ params }) => [params.v, params.v + 1]
  })
  const score = stage({
    name: "score",
    version: 1,
    params: Schema.Struct({ a: Schema.Int }),
    inputs: { xs: value<ReadonlyArray<number>>() },
    output: value<number>(),
    // Asynchronous, like real stages: other stages queue up meanwhile.
    run: async ({ params, inputs }) => {
      await new Promise((resolve) => setImmediate(resolve))
      done++
      if (sampleAt.has(done)) samples.set(done, heapAfterGc())
      return params.a * inputs.xs[0]! + inputs.xs[1]!
    }
  })
  const p = pipeline("scale", (b) =>
    b.sweep({ v: Array.from({ length: PREPS }, (_, i) => i), a: Array.from({ length: SCORES }, (_, i) => i) }, ({ a, v }) => {
      b.add(score, { params: { a }, inputs: { xs: b.add(prep, { params: { v } }) } })
    })
  )
  const before = heapAfterGc()
  const t0 = Date.now()
  const result = await Effect.runPromise(runPipeline(p, { jobs: 2 }).pipe(Effect.provide(EventSinkNull), Effect.provide(CacheStoreMemory)))
  const ms = Date.now() - t0
  assert.equal(result.ran, PREPS + total)
  assert.equal(samples.size, sampleAt.size)
  // What a finished stage legitimately keeps (its status, output hash, plan entry) is a few
  // hundred bytes; the old executor held ~1 MB per queued stage at this size.
  const PER_STAGE = 2048
  const SLACK = 16 * 2 ** 20
  for (const [n, h] of samples)
    assert.ok(h - before < SLACK + PER_STAGE * total, `heap ${((h - before) / 2 ** 20).toFixed(1)} MiB above the start after ${n} of ${total} stages`)
  const [[a, ha], , [b, hb]] = [...samples].sort(([x], [y]) => x - y) as [[number, number], unknown, [number, number]]
  const perStage = (hb - ha) / (b - a)
  assert.ok(perStage < PER_STAGE, `heap grew ${perStage.toFixed(0)} bytes per executed stage (${ha} -> ${hb})`)
  assert.ok(ms < 45_000, `${total} trivial stages took ${ms} ms`)
})

test("slots: FIFO within --jobs; a stage waiting for a busy resource does not hold back others", () => {
  const slots = makeSlots(2, { accelerator: 1 })
  slots.push(0, { accelerator: 1 })
  slots.push(1, { accelerator: 1 })
  slots.push(2)
  slots.push(3, { accelerator: 0 })
  assert.equal(slots.take(), 0)
  // 1 needs the accelerator, which 0 holds: 2 starts instead, then the job limit is reached.
  assert.equal(slots.take(), 2)
  assert.equal(slots.take(), undefined)
  slots.release(2)
  assert.equal(slots.take(), 3, "an amount of 0 needs no resource")
  assert.equal(slots.take(), undefined, "no job slot free")
  slots.release(0)
  assert.equal(slots.take(), 1, "the accelerator and a job slot are free again")
  assert.equal(slots.queued(), 0)
  assert.equal(slots.active(), 2)
  // Thousands queued: each take is cheap and order is kept.
  const many = makeSlots(1, {})
  for (let i = 0; i < 5000; i++) many.push(i)
  for (let i = 0; i < 5000; i++) {
    assert.equal(many.take(), i)
    many.release(i)
  }
  assert.equal(many.take(), undefined)
})
