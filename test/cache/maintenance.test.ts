import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { existsSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import type { CacheKey, CacheStoreService, ContentHash, RunRecord } from "../../src/cache/CacheStore.js"
import { bytes, sha256, tempDir, withStore } from "./helpers.js"

const C = 16

/** A controllable clock: `at(t)` sets the time the store sees. */
const clock = () => {
  let t = 1_000_000
  return { now: () => t, at: (x: number) => void (t = x) }
}

const record = (s: CacheStoreService, key: string, output: ContentHash, pipeline = "p.ts", at = 1): Effect.Effect<void, unknown> =>
  s.recordRun({
    key: key as CacheKey, pipeline, stage: key, stageKind: "K", preimage: { key }, params: {}, inputs: {},
    output, outputKind: "value", status: "ok", startedAt: at, endedAt: at + 1, metrics: null, logTail: "", error: null
  } satisfies RunRecord)

/** Wait for the batched LRU touches to be flushed. */
const settle = Effect.promise(() => new Promise<void>((r) => setImmediate(r)))

describe("gc", () => {
  it("evicts least-recently-used artifacts down to a size cap, keeping pinned and last-pipeline-used ones", async () => {
    const c = clock()
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const h: ContentHash[] = []
        for (let i = 0; i < 6; i++) {
          c.at(1_000_000 + i * 1000) // h[0] oldest
          h.push(yield* s.putArtifact("value", bytes(100, i + 1)))
        }
        c.at(2_000_000)
        yield* record(s, "k0", h[0])
        yield* s.lookup("k0" as CacheKey) // h[0] becomes the most recently used
        yield* settle
        yield* s.pin(h[1])
        yield* s.markPipelineUse("other.ts", [h[2]])
        const dry = yield* s.gc({ maxBytes: 250, dryRun: true })
        const afterDry = (yield* s.ls()).length
        const real = yield* s.gc({ maxBytes: 250 })
        const left = (yield* s.ls()).map((a) => a.hash)
        const hit = yield* s.lookup("k0" as CacheKey)
        return { h, dry, afterDry, real, left, hit }
      }), ":memory:", { chunkSize: C, now: c.now })
    const { h } = r
    // 600 bytes; protected h1, h2 (200 bytes); LRU order of the rest: h3, h4, h5, h0.
    assert.equal(r.dry.dryRun, true)
    assert.equal(r.afterDry, 6, "a dry run deletes nothing")
    assert.deepEqual(r.real.evicted.map((e) => e.hash), [h[3], h[4], h[5], h[0]].slice(0, 4))
    assert.deepEqual(r.dry.evicted.map((e) => e.hash), r.real.evicted.map((e) => e.hash))
    assert.equal(r.real.freedBytes, 400)
    assert.equal(r.real.remainingBytes, 200)
    assert.deepEqual([...r.left].sort(), [h[1], h[2]].sort())
    assert.ok(Option.isNone(r.hit), "an evicted output's key misses")
  })

  it("stops evicting as soon as the cap is met, oldest first", async () => {
    const c = clock()
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const h: ContentHash[] = []
        for (let i = 0; i < 4; i++) {
          c.at(1_000_000 + i)
          h.push(yield* s.putArtifact("value", bytes(100, 50 + i)))
        }
        return { h, gc: yield* s.gc({ maxBytes: 300 }), left: (yield* s.ls()).length }
      }), ":memory:", { now: c.now })
    assert.deepEqual(r.gc.evicted.map((e) => e.hash), [r.h[0]])
    assert.equal(r.left, 3)
  })

  it("evicts by age, and includes protected artifacts only when asked", async () => {
    const c = clock()
    const day = 86_400_000
    const r = await withStore((s) =>
      Effect.gen(function* () {
        c.at(0)
        const old1 = yield* s.putArtifact("value", bytes(10, 1))
        const old2 = yield* s.putArtifact("value", bytes(10, 2))
        const oldPinned = yield* s.putArtifact("value", bytes(10, 3))
        yield* s.pin(oldPinned)
        c.at(10 * day)
        const fresh = yield* s.putArtifact("value", bytes(10, 4))
        const readOld = yield* s.readArtifact(old2) // reading refreshes its LRU time
        yield* settle
        const byAge = yield* s.gc({ olderThanMs: 7 * day })
        const left1 = (yield* s.ls()).map((a) => a.hash)
        c.at(30 * day)
        const all = yield* s.gc({ olderThanMs: 7 * day, includeProtected: true })
        const left2 = (yield* s.ls()).map((a) => a.hash)
        const stats = yield* s.stats()
        return { old1, old2, oldPinned, fresh, readOld, byAge, left1, all, left2, stats }
      }), ":memory:", { now: c.now })
    assert.deepEqual(r.byAge.evicted.map((e) => e.hash), [r.old1])
    assert.deepEqual([...r.left1].sort(), [r.old2, r.oldPinned, r.fresh].sort())
    assert.equal(r.all.evicted.length, 3)
    assert.deepEqual(r.left2, [])
    assert.equal(r.stats.pinned, 0)
  })

  it("shrinks the database file after evicting large artifacts", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const r = await withStore((s) =>
        Effect.gen(function* () {
          yield* s.putArtifact("checkpoint", bytes(4 * 1024 * 1024, 3))
          const before = (yield* s.stats()).fileBytes + (yield* s.stats()).walBytes
          yield* s.gc({ maxBytes: 0 })
          yield* s.gc({}) // lets the checkpoint finish
          return { before }
        }), path, { chunkSize: 256 * 1024 })
      const after = (await withStore((s) => s.stats(), path)).fileBytes
      assert.ok(after < r.before / 2, `file ${after} bytes after gc, ${r.before} before`)
    } finally {
      cleanup()
    }
  })
})

describe("export / import", () => {
  it("round-trips artifacts and run records into a fresh store, idempotently", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = join(dir, "out", "export.sqlite")
      const big = bytes(5 * C + 2, 9)
      const small = bytes(3, 10)
      const src = await withStore((s) =>
        Effect.gen(function* () {
          const a = yield* s.putArtifact("checkpoint", big)
          const b = yield* s.putArtifact("value", small)
          yield* record(s, "ka", a, "p.ts", 10)
          yield* record(s, "kb", b, "q.ts", 20)
          const report = yield* s.exportTo(file)
          return { a, b, report }
        }), ":memory:", { chunkSize: C })
      assert.equal(src.report.artifacts, 2)
      assert.equal(src.report.runs, 2)
      assert.ok(existsSync(file) && !existsSync(file + ".partial"))

      const dst = await withStore((s) =>
        Effect.gen(function* () {
          const first = yield* s.importFrom(file)
          const second = yield* s.importFrom(file)
          return {
            first, second,
            a: yield* s.readArtifact(src.a),
            hit: yield* s.lookup("ka" as CacheKey),
            runs: yield* s.runs(),
            verify: yield* s.verify()
          }
        }), join(dir, "fresh.sqlite"), { chunkSize: 7 })
      assert.deepEqual(
        [dst.first.artifacts, dst.first.runs, dst.first.skippedArtifacts, dst.first.skippedRuns],
        [2, 2, 0, 0]
      )
      assert.deepEqual(
        [dst.second.artifacts, dst.second.runs, dst.second.skippedArtifacts, dst.second.skippedRuns],
        [0, 0, 2, 2],
        "a second import changes nothing"
      )
      assert.deepEqual(Buffer.from(dst.a), Buffer.from(big))
      assert.equal(Option.getOrThrow(dst.hit).output, src.a)
      assert.equal(dst.runs.length, 2)
      assert.equal(dst.verify.corrupt.length, 0)
    } finally {
      cleanup()
    }
  })

  it("exports one pipeline's runs with the artifacts they read and wrote", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = join(dir, "p.sqlite")
      const r = await withStore((s) =>
        Effect.gen(function* () {
          const a = yield* s.putArtifact("value", bytes(5, 1))
          const b = yield* s.putArtifact("value", bytes(5, 2))
          const c = yield* s.putArtifact("value", bytes(5, 3))
          yield* record(s, "ka", a, "p.ts")
          yield* s.recordRun({
            key: "kb" as CacheKey, pipeline: "p.ts", stage: "b", stageKind: "K", preimage: {}, params: {},
            inputs: { x: a }, output: b, outputKind: "value", status: "ok", startedAt: 1, endedAt: 2,
            metrics: null, logTail: "", error: null
          })
          yield* record(s, "kc", c, "q.ts")
          return { a, b, c, report: yield* s.exportTo(file, { pipelines: ["p.ts"] }) }
        }))
      assert.equal(r.report.artifacts, 2)
      assert.equal(r.report.runs, 2)
      const raw = new Database(file, { readonly: true })
      const hashes = raw.prepare("SELECT hash FROM artifacts ORDER BY hash").pluck().all()
      raw.close()
      assert.deepEqual(hashes, [r.a, r.b].sort())
    } finally {
      cleanup()
    }
  })

  it("refuses an export whose artifact does not match its hash, and stores none of it", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = join(dir, "e.sqlite")
      const d = bytes(3 * C, 4)
      const h = await withStore((s) =>
        Effect.gen(function* () {
          const h = yield* s.putArtifact("value", d)
          yield* record(s, "k", h)
          yield* s.exportTo(file)
          return h
        }), ":memory:", { chunkSize: C })
      const raw = new Database(file)
      raw.prepare("UPDATE chunks SET data = ? WHERE idx = 1").run(Buffer.alloc(C, 7))
      raw.close()
      const r = await withStore((s) =>
        Effect.gen(function* () {
          const e = yield* Effect.flip(s.importFrom(file))
          return { e, has: yield* s.hasArtifact(h), stats: yield* s.stats() }
        }))
      assert.equal(r.e._tag, "ImportFailed")
      assert.equal((r.e as { hash?: string }).hash, h)
      assert.equal(r.has, false)
      assert.equal(r.stats.runs, 0)
      assert.equal(r.stats.incompleteUploads, 0)
      assert.equal(sha256(d), h)
    } finally {
      cleanup()
    }
  })

  it("refuses a file that is not an export", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const e1 = await withStore((s) => Effect.flip(s.importFrom(join(dir, "missing.sqlite"))))
      assert.equal(e1._tag, "ImportFailed")
      const other = join(dir, "other.sqlite")
      await withStore((s) => s.stats(), other) // a cache store, not an export
      const e2 = await withStore((s) => Effect.flip(s.importFrom(other)))
      assert.equal(e2._tag, "ImportFailed")
    } finally {
      cleanup()
    }
  })
})
