/**
 * A separate process on a shared store, driven by the crash and concurrency
 * tests. Usage:
 *   child.ts slow-write PATH SIZE CHUNK SEED [FILE_THRESHOLD]
 *                                              stream an artifact, printing "piece N" as it goes
 *   child.ts mix PATH ID COUNT                 puts, runs, lookups and reads; prints a JSON summary
 *   child.ts small-writes PATH                 small puts and run records without end (group-committed),
 *                                              printing "wrote N" every 50
 */
import { Effect, Option } from "effect"
import { make } from "../../../src/cache/CacheStore.js"
import type { CacheKey, ContentHash } from "../../../src/cache/CacheStore.js"
import { bytes } from "../helpers.js"

const [mode, path, ...args] = process.argv.slice(2)

const slowWrite = (size: number, chunk: number, seed: number, fileThreshold: number | undefined) =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* make(path, { chunkSize: chunk, ...(fileThreshold === undefined ? {} : { fileThreshold }) })
      const data = bytes(size, seed)
      async function* body(): AsyncGenerator<Uint8Array> {
        for (let off = 0, i = 0; off < size; off += chunk, i++) {
          yield data.subarray(off, off + chunk)
          process.stdout.write(`piece ${i}\n`)
          if (i % 4 === 3) await new Promise((r) => setTimeout(r, 5))
        }
      }
      const h = yield* s.putArtifact("checkpoint", body())
      yield* s.recordRun({
        key: `key-${seed}` as CacheKey, pipeline: "crash.ts", stage: "big", stageKind: "Big", preimage: { seed },
        params: {}, inputs: {}, output: h, outputKind: "checkpoint", status: "ok", startedAt: 1, endedAt: 2,
        metrics: null, logTail: "", error: null
      })
      process.stdout.write(`done ${h}\n`)
    })
  )

const mix = (id: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* make(path, { chunkSize: 64 * 1024, busyTimeoutMs: 30_000 })
      const written: Record<string, string> = {}
      let maxOpMs = 0
      const timed = <A, E>(e: Effect.Effect<A, E>) =>
        Effect.gen(function* () {
          const t = performance.now()
          const a = yield* e
          maxOpMs = Math.max(maxOpMs, performance.now() - t)
          return a
        })
      for (let i = 0; i < count; i++) {
        // Even i: content shared by both processes; odd i: this process's own.
        const seed = i % 2 === 0 ? 1000 + i : id * 100_000 + i
        const size = 1 + ((i * 37_003) % (300 * 1024))
        const h = yield* timed(s.putArtifact("value", bytes(size, seed)))
        written[`${seed}:${size}`] = h
        yield* timed(
          s.recordRun({
            key: `k-${seed}` as CacheKey, pipeline: `p${id}.ts`, stage: `s${i}`, stageKind: "Mix", preimage: { seed },
            params: { i }, inputs: {}, output: h, outputKind: "value", status: "ok", startedAt: i, endedAt: i + 1,
            metrics: { i }, logTail: "", error: null
          })
        )
        const hit = yield* timed(s.lookup(`k-${seed}` as CacheKey))
        if (Option.isNone(hit)) throw new Error(`lookup k-${seed} missed right after recording it`)
        const back = yield* timed(s.readArtifact(hit.value.output as ContentHash))
        if (back.byteLength !== size) throw new Error("short read")
      }
      process.stdout.write(JSON.stringify({ id, written, maxOpMs }) + "\n")
    })
  )

const smallWrites = () =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* make(path)
      for (let i = 0; ; i++) {
        const h = yield* s.putArtifact("value", bytes(1 + (i % 700), 7_000 + i))
        yield* s.recordRun({
          key: `small-${i}` as CacheKey, pipeline: "small.ts", stage: `s${i}`, stageKind: "Small", preimage: { i },
          params: { i }, inputs: {}, output: h, outputKind: "value", status: "ok", startedAt: i, endedAt: i + 1,
          metrics: null, logTail: "", error: null
        })
        // Yield now and then, so timed flushes happen too (a kill lands between and inside batches).
        if (i % 10 === 9) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
        if (i % 50 === 49) process.stdout.write(`wrote ${i + 1}\n`)
      }
    })
  )

const main =
  mode === "slow-write"
    ? slowWrite(Number(args[0]), Number(args[1]), Number(args[2]), args[3] === undefined ? undefined : Number(args[3]))
    : mode === "small-writes"
      ? smallWrites()
      : mix(Number(args[0]), Number(args[1]))

Effect.runPromise(main).catch((e) => {
  process.stderr.write(`child failed: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(3)
})
