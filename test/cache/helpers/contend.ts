/**
 * Processes that contend for one store, for the gc / publish / verify tests.
 * Usage:
 *   contend.ts publish PATH ID COUNT   puts COUNT artifacts (group-committed rows, chunk rows and blob
 *                                      files, some shared with other publishers), records a run for
 *                                      each and reads it back at once, as a run needs its outputs;
 *                                      prints "published N" as it goes, then a JSON summary
 *   contend.ts gc PATH STOP            `gc --max-size 0` in a loop until the file STOP exists
 *   contend.ts verify PATH STOP        `verify` in a loop until the file STOP exists
 */
import { existsSync } from "node:fs"
import { Effect, Option } from "effect"
import { make, type CacheKey } from "../../../src/cache/CacheStore.js"
import { bytes, sha256 } from "../helpers.js"

const [mode, path, ...args] = process.argv.slice(2) as [string, string, ...string[]]
/** Small sizes so every path runs: ≤ 16 KiB group-committed, then chunk rows, then files over 48 KiB. */
const options = { chunkSize: 16 * 1024, fileThreshold: 48 * 1024, busyTimeoutMs: 60_000 }

const publish = (id: number, count: number) =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* make(path, options)
      const lost: string[] = []
      for (let i = 0; i < count; i++) {
        // Every third artifact has the same bytes in every publisher (the put finds it stored).
        const seed = i % 3 === 0 ? 77_000 + i : id * 1_000_000 + i
        const size = 1024 + ((i * 29_011) % (120 * 1024))
        const data = bytes(size, seed)
        const h = yield* (i % 2 === 0
          ? s.putArtifact("value", data)
          : s.putArtifact("value", (async function* () { yield data.subarray(0, size >> 1); yield data.subarray(size >> 1) })()))
        const key = `k-${id}-${i}` as CacheKey
        const rec = yield* Effect.either(s.recordRun({
          key, pipeline: `p${id}.ts`, stage: `s${i}`, stageKind: "Pub", preimage: { i }, params: {}, inputs: {},
          output: h, outputKind: "value", status: "ok", startedAt: i, endedAt: i + 1, metrics: null, logTail: "", error: null
        }))
        if (rec._tag === "Left") lost.push(`record ${key}: ${rec.left.message}`)
        // What a run does next: its consumer reads the output, a later stage looks the key up.
        const back = yield* Effect.either(s.readArtifact(h))
        if (back._tag === "Left") lost.push(`read ${h.slice(0, 12)}: ${back.left.message}`)
        else if (sha256(back.right) !== h) lost.push(`read ${h.slice(0, 12)}: wrong bytes`)
        const hit = yield* s.lookup(key)
        if (Option.isNone(hit)) lost.push(`lookup ${key}: missed right after recording it`)
        if (i % 2 === 1) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
        if (i % 25 === 24) process.stdout.write(`published ${i + 1}\n`)
      }
      process.stdout.write(JSON.stringify({ id, published: count, lost }) + "\n")
    })
  )

const loop = (stop: string, kind: "gc" | "verify") =>
  Effect.scoped(
    Effect.gen(function* () {
      const s = yield* make(path, options)
      let iterations = 0
      let evicted = 0
      let inUse = 0
      const corrupt: string[] = []
      while (!existsSync(stop)) {
        if (kind === "gc") {
          const r = yield* s.gc({ maxBytes: 0, includeProtected: iterations % 2 === 1 })
          evicted += r.evicted.length
          inUse += r.inUse
        } else {
          const r = yield* s.verify()
          for (const c of r.corrupt) corrupt.push(`${c.hash.slice(0, 12)}: ${c.detail}`)
          evicted += r.evicted
        }
        iterations++
        if (iterations === 1) process.stdout.write("started\n")
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, iterations % 3)))
      }
      process.stdout.write(JSON.stringify({ kind, iterations, evicted, inUse, corrupt }) + "\n")
    })
  )

const main =
  mode === "publish" ? publish(Number(args[0]), Number(args[1])) : loop(args[0]!, mode === "verify" ? "verify" : "gc")

Effect.runPromise(main as Effect.Effect<void, unknown>).catch((e) => {
  process.stderr.write(`contend ${mode} failed: ${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(3)
})
