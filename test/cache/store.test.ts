import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { spawnSync } from "node:child_process"
import { hostname } from "node:os"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import type { CacheKey, ContentHash, RunRecord } from "../../src/cache/CacheStore.js"
import { bytes, failure, pieces, sha256, tempDir, withStore } from "./helpers.js"

const C = 16 // tiny chunks: multi-chunk paths on tiny data

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  key: "k1" as CacheKey,
  pipeline: "p.ts",
  stage: "train",
  stageKind: "Train",
  preimage: { kind: "Train", version: 1, params: { lr: 0.1 } },
  params: { lr: 0.1 },
  inputs: {},
  output: null,
  outputKind: "value",
  status: "ok",
  startedAt: 1000,
  endedAt: 2000,
  metrics: { loss: 0.5 },
  logTail: "done",
  error: null,
  ...over
})

describe("artifacts", () => {
  it("names an artifact by the sha256 of its bytes and stores it once", async () => {
    const d = bytes(100)
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const a = yield* s.putArtifact("value", d)
        const b = yield* s.putArtifact("tensors", d)
        const c = yield* s.putArtifact("value", pieces(d, [7, 30]))
        return { a, b, c, ls: yield* s.ls(), stats: yield* s.stats() }
      }), ":memory:", { chunkSize: C })
    assert.equal(r.a, sha256(d))
    assert.equal(r.b, r.a)
    assert.equal(r.c, r.a)
    assert.equal(r.ls.length, 1)
    assert.equal(r.ls[0].size, 100)
    assert.equal(r.ls[0].chunks, Math.ceil(100 / C))
    assert.equal(r.ls[0].kind, "value")
    assert.equal(r.stats.artifacts, 1)
    assert.equal(r.stats.incompleteUploads, 0)
  })

  for (const n of [0, 1, C - 1, C, C + 1, 5 * C + 3]) {
    it(`round-trips ${n} bytes through whole reads and streams, from buffers and iterables`, async () => {
      const d = bytes(n, n + 7)
      const r = await withStore((s) =>
        Effect.gen(function* () {
          const h1 = yield* s.putArtifact("checkpoint", d)
          const whole = yield* s.readArtifact(h1)
          const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(s.streamArtifact(h1)))
          const info = yield* s.artifactInfo(h1)
          return { h1, whole, streamed, info }
        }), ":memory:", { chunkSize: C })
      assert.equal(r.h1, sha256(d))
      assert.deepEqual(Buffer.from(r.whole), Buffer.from(d))
      assert.equal(r.streamed.length, Math.ceil(n / C))
      assert.deepEqual(Buffer.concat(r.streamed.map((x) => Buffer.from(x))), Buffer.from(d))
      assert.ok(r.streamed.every((x) => x.byteLength <= C))
      assert.equal(Option.getOrThrow(r.info).chunks, Math.ceil(n / C))

      // The same bytes arriving in awkward pieces give the same artifact.
      const r2 = await withStore((s) =>
        Effect.gen(function* () {
          const h = yield* s.putArtifact("checkpoint", pieces(d, [3, C + 5, 1, 2 * C]))
          return { h, back: yield* s.readArtifact(h) }
        }), ":memory:", { chunkSize: C })
      assert.equal(r2.h, sha256(d))
      assert.deepEqual(Buffer.from(r2.back), Buffer.from(d))
    })
  }

  it("interleaves concurrent puts of one process on one store (file-backed)", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const datas = [bytes(9 * C + 5, 21), bytes(7 * C, 22), bytes(9 * C + 5, 21), bytes(1, 23)]
      const r = await withStore((s) =>
        Effect.gen(function* () {
          const hashes = yield* Effect.all(
            datas.map((d, i) => s.putArtifact("checkpoint", pieces(d, [i + 1, C - 1, 2 * C]))),
            { concurrency: "unbounded" }
          )
          const back = yield* Effect.all(hashes.map((h) => s.readArtifact(h)))
          return { hashes, back, stats: yield* s.stats(), verify: yield* s.verify() }
        }), join(dir, "c.sqlite"), { chunkSize: C })
      assert.deepEqual(r.hashes, datas.map(sha256))
      r.back.forEach((b, i) => assert.deepEqual(Buffer.from(b), Buffer.from(datas[i])))
      assert.equal(r.stats.artifacts, 3)
      assert.equal(r.stats.incompleteUploads, 0, "the duplicate upload's staged chunks were freed")
      assert.equal(r.verify.corrupt.length, 0)
      const raw = new Database(join(dir, "c.sqlite"), { readonly: true })
      const counts = raw.prepare("SELECT (SELECT count(*) FROM chunks) AS rows, (SELECT sum(chunks) FROM artifacts) AS owned").get()
      raw.close()
      assert.deepEqual(counts, { rows: 10 + 7 + 1, owned: 10 + 7 + 1 }, "no orphan chunk rows")
    } finally {
      cleanup()
    }
  })

  it("fails with MissingArtifact for an unknown hash", async () => {
    const e = await withStore((s) => Effect.flip(s.readArtifact("ab".repeat(32) as ContentHash)))
    assert.equal(e._tag, "MissingArtifact")
    const e2 = await withStore((s) => Effect.flip(Stream.runDrain(s.streamArtifact("cd".repeat(32) as ContentHash))))
    assert.equal(e2._tag, "MissingArtifact")
  })

  it("frees the staged chunks of a body that fails half way", async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes(3 * C)
      throw new Error("producer died")
    }
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const e = yield* Effect.flip(s.putArtifact("checkpoint", broken()))
        return { e, stats: yield* s.stats() }
      }), ":memory:", { chunkSize: C })
    assert.equal(r.e._tag, "StoreFailed")
    assert.equal(r.stats.artifacts, 0)
    assert.equal(r.stats.incompleteUploads, 0)
  })

  it("frees the staged chunks of an interrupted put (Ctrl-C)", async () => {
    let produced = 0
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        produced++
        yield bytes(C, produced)
        await new Promise((r) => setTimeout(r, 1))
      }
    }
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.fork(s.putArtifact("checkpoint", endless()))
        while (produced < 20) yield* Effect.sleep("2 millis")
        yield* Fiber.interrupt(fiber)
        return yield* s.stats()
      }), ":memory:", { chunkSize: C })
    assert.ok(produced >= 20)
    assert.equal(r.artifacts, 0)
    assert.equal(r.incompleteUploads, 0)
  })

  it("sweeps uploads and deletions left by a dead process when the store opens", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const kept = await withStore((s) => s.putArtifact("value", bytes(3 * C, 1)), path, { chunkSize: C })
      const deadPid = spawnSync(process.execPath, ["-e", ""]).pid as number
      const raw = new Database(path)
      for (const state of ["writing", "deleting"]) {
        const id = Number(raw.prepare("INSERT INTO uploads(state, pid, host, started_at, touched_at) VALUES (?, ?, ?, 0, ?)")
          .run(state, deadPid, hostname(), Date.now()).lastInsertRowid)
        for (let i = 0; i < 40; i++) raw.prepare("INSERT INTO chunks(blob, idx, data) VALUES (?, ?, ?)").run(id, i, Buffer.from(bytes(C, i)))
      }
      // A live process's upload (ours) must not be swept.
      const live = Number(raw.prepare("INSERT INTO uploads(state, pid, host, started_at, touched_at) VALUES ('writing', ?, ?, 0, ?)")
        .run(process.pid, hostname(), Date.now()).lastInsertRowid)
      raw.prepare("INSERT INTO chunks(blob, idx, data) VALUES (?, 0, x'00')").run(live)
      raw.close()
      const r = await withStore((s) => Effect.all([s.stats(), s.verify(), s.readArtifact(kept)]), path, { chunkSize: C })
      assert.equal(r[0].incompleteUploads, 1, "only the live upload remains")
      assert.equal(r[1].corrupt.length, 0)
      const check = new Database(path, { readonly: true })
      assert.equal(check.prepare("SELECT count(*) FROM chunks").pluck().get(), 3 + 1)
      check.close()
    } finally {
      cleanup()
    }
  })

  it("detects a tampered chunk on read, stream and verify, and verify --remove drops it", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const d = bytes(4 * C + 1)
      const other = bytes(2 * C, 99)
      const [h, good] = await withStore((s) =>
        Effect.gen(function* () {
          const h = yield* s.putArtifact("checkpoint", d)
          yield* s.recordRun(run({ key: "kt" as CacheKey, output: h }))
          return [h, yield* s.putArtifact("value", other)] as const
        }), path, { chunkSize: C })
      // Flip one byte of the second chunk with raw SQL.
      const raw = new Database(path)
      const blob = raw.prepare("SELECT blob FROM artifacts WHERE hash = ?").pluck().get(h) as number
      const chunk = raw.prepare("SELECT data FROM chunks WHERE blob = ? AND idx = 1").pluck().get(blob) as Buffer
      chunk[3] ^= 0xff
      raw.prepare("UPDATE chunks SET data = ? WHERE blob = ? AND idx = 1").run(chunk, blob)
      raw.close()

      const r = await withStore((s) =>
        Effect.gen(function* () {
          const read = yield* Effect.flip(s.readArtifact(h))
          const streamed = yield* Effect.flip(Stream.runDrain(s.streamArtifact(h)))
          const report = yield* s.verify()
          const removed = yield* s.verify({ remove: true })
          return {
            read, streamed, report, removed,
            has: yield* s.hasArtifact(h),
            hit: yield* s.lookup("kt" as CacheKey),
            goodBack: yield* s.readArtifact(good)
          }
        }), path, { chunkSize: C })
      assert.equal(r.read._tag, "CorruptArtifact")
      assert.equal(r.streamed._tag, "CorruptArtifact")
      assert.equal(r.report.checked, 2)
      assert.deepEqual(r.report.corrupt.map((c) => c.hash), [h])
      assert.notEqual(r.report.corrupt[0].actual, h)
      assert.equal(r.report.sqlite, "ok")
      assert.equal(r.removed.removed, 1)
      assert.equal(r.has, false)
      assert.ok(Option.isNone(r.hit), "the key of a removed artifact misses, so its stage re-runs")
      assert.deepEqual(Buffer.from(r.goodBack), Buffer.from(other))
    } finally {
      cleanup()
    }
  })

  it("detects a missing chunk", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const h = await withStore((s) => s.putArtifact("value", bytes(3 * C)), path, { chunkSize: C })
      const raw = new Database(path)
      raw.prepare("DELETE FROM chunks WHERE idx = 2").run()
      raw.close()
      const r = await withStore((s) => Effect.all([Effect.flip(s.readArtifact(h)), s.verify()]), path, { chunkSize: C })
      assert.equal(r[0]._tag, "CorruptArtifact")
      assert.match(r[1].corrupt[0].detail, /chunk 2 of 3 is missing/)
    } finally {
      cleanup()
    }
  })
})

describe("runs and keys", () => {
  it("binds a key on an ok run, keeps history, and reports the last run of a stage", async () => {
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const out = yield* s.putArtifact("value", new TextEncoder().encode("42"))
        const miss = yield* s.lookup("k1" as CacheKey)
        yield* s.recordRun(run({ status: "failed", error: "boom", startedAt: 1, endedAt: 2 }))
        const afterFail = yield* s.lookup("k1" as CacheKey)
        yield* s.recordRun(run({ output: out, inputs: { x: out } }))
        const hit = yield* s.lookup("k1" as CacheKey)
        yield* s.recordRun(run({ key: "k2" as CacheKey, status: "interrupted", startedAt: 5000, endedAt: 5001 }))
        return {
          out, miss, afterFail, hit,
          last: yield* s.lastRun("p.ts", "train"),
          all: yield* s.runs(),
          failed: yield* s.runs({ status: "failed" }),
          limited: yield* s.runs({ pipeline: "p.ts", limit: 1 }),
          since: yield* s.runs({ since: 1000 }),
          other: yield* s.runs({ pipeline: "nope" }),
          stats: yield* s.stats()
        }
      }))
    assert.ok(Option.isNone(r.miss))
    assert.ok(Option.isNone(r.afterFail), "a failed run never binds its key")
    const hit = Option.getOrThrow(r.hit)
    assert.equal(hit.output, r.out)
    assert.deepEqual(hit.preimage, { kind: "Train", version: 1, params: { lr: 0.1 } })
    assert.deepEqual(hit.inputs, { x: r.out })
    assert.deepEqual(hit.metrics, { loss: 0.5 })
    assert.equal(Option.getOrThrow(r.last).status, "interrupted")
    assert.deepEqual(r.all.map((x) => x.status), ["interrupted", "ok", "failed"])
    assert.equal(r.failed.length, 1)
    assert.equal(r.failed[0].error, "boom")
    assert.equal(r.limited.length, 1)
    assert.equal(r.since.length, 2)
    assert.equal(r.other.length, 0)
    assert.equal(r.stats.keys, 1)
    assert.deepEqual(r.stats.runsByStatus, { ok: 1, failed: 1, interrupted: 1 })
  })

  it("refuses to bind a key to an artifact that was never stored", async () => {
    const e = await withStore((s) => Effect.flip(s.recordRun(run({ output: "ee".repeat(32) as ContentHash }))))
    assert.equal(e._tag, "MissingArtifact")
    const n = await withStore((s) =>
      Effect.gen(function* () {
        yield* Effect.ignore(s.recordRun(run({ output: "ee".repeat(32) as ContentHash })))
        return (yield* s.runs()).length
      }))
    assert.equal(n, 0, "nothing is recorded when the binding fails")
  })

  it("pins by hash or by key, and rejects unknown targets", async () => {
    const r = await withStore((s) =>
      Effect.gen(function* () {
        const h = yield* s.putArtifact("value", bytes(10))
        yield* s.recordRun(run({ output: h }))
        const byKey = yield* s.pin("k1")
        const ls1 = yield* s.ls()
        yield* s.unpin(h)
        const ls2 = yield* s.ls()
        const unknown = yield* Effect.flip(s.pin("nothing-here"))
        return { h, byKey, ls1, ls2, unknown }
      }))
    assert.equal(r.byKey, r.h)
    assert.equal(r.ls1[0].pinned, true)
    assert.equal(r.ls1[0].keys, 1)
    assert.equal(r.ls2[0].pinned, false)
    assert.equal(r.unknown._tag, "UnknownTarget")
  })
})

describe("group commit of small writes", () => {
  it("holds small puts and run records until one transaction: invisible to other connections, visible in-process", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const counts = () => {
        const raw = new Database(path, { readonly: true })
        const one = (q: string) => raw.prepare(q).pluck().get() as number
        const r = { artifacts: one("SELECT count(*) FROM artifacts"), runs: one("SELECT count(*) FROM runs"), bindings: one("SELECT count(*) FROM bindings") }
        raw.close()
        return r
      }
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            const small = bytes(100, 3)
            const h = yield* s.putArtifact("value", small)
            yield* s.recordRun(run({ key: "g1" as CacheKey, output: h }))
            const pending = counts()
            const has = yield* s.hasArtifact(h)
            // A lookup of a pending key flushes first, so it hits.
            const hits = yield* s.lookupMany(["g1" as CacheKey, "nope" as CacheKey])
            const flushed = counts()
            const back = yield* s.readArtifact(h)
            return { h, pending, has, hits, flushed, same: Buffer.from(back).equals(Buffer.from(small)) }
          }),
        path,
        { groupCommit: { delayMs: 60_000 } }
      )
      assert.deepEqual(r.pending, { artifacts: 0, runs: 0, bindings: 0 }, "nothing committed yet")
      assert.equal(r.has, true)
      assert.deepEqual([...r.hits.keys()], ["g1"])
      assert.equal(r.hits.get("g1" as CacheKey)!.output, r.h)
      assert.deepEqual(r.flushed, { artifacts: 1, runs: 1, bindings: 1 }, "artifact, run and binding land together")
      assert.equal(r.same, true)
    } finally {
      cleanup()
    }
  })

  it("flushes a full batch, after the delay, and on close", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const committed = () => {
        const raw = new Database(path, { readonly: true })
        const n = raw.prepare("SELECT count(*) FROM runs").pluck().get() as number
        raw.close()
        return n
      }
      const seen = await withStore(
        (s) =>
          Effect.gen(function* () {
            const out: Array<number> = []
            for (let i = 0; i < 5; i++) {
              const h = yield* s.putArtifact("value", bytes(10, 50 + i))
              yield* s.recordRun(run({ key: `b${i}` as CacheKey, output: h }))
              out.push(committed())
            }
            yield* Effect.sleep(120)
            out.push(committed())
            yield* s.putArtifact("value", bytes(10, 99))
            yield* s.recordRun(run({ key: "last" as CacheKey, output: null, status: "failed", error: "x" }))
            return out
          }),
        path,
        { groupCommit: { maxOps: 4, delayMs: 50 } }
      )
      // Four pending writes (two stages) fill a batch: the next write flushes it first.
      assert.deepEqual(seen, [0, 0, 2, 2, 4, 5])
      assert.equal(committed(), 6, "close flushes what is pending")
    } finally {
      cleanup()
    }
  })
})

describe("large artifacts in blob files", () => {
  const T = 64 // file threshold: bodies over 64 bytes go to a file (chunks of C = 16 below)
  const opts = { chunkSize: C, fileThreshold: T }
  const blobFiles = (path: string): Array<string> => {
    try {
      return readdirSync(`${path}.blobs`).sort()
    } catch {
      return []
    }
  }

  it("round-trips bodies under, at and over the threshold; only those over it become one file", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const sizes = [0, 1, T - 1, T, T + 1, 5 * T + 3]
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            const out: Array<{ n: number; hash: string; whole: Uint8Array; streamed: Uint8Array; fromBuffer: string }> = []
            for (const n of sizes) {
              const d = bytes(n, 20 + n)
              const hash = yield* s.putArtifact("checkpoint", pieces(d, [5, 17, 3]))
              const fromBuffer = yield* s.putArtifact("checkpoint", d)
              const whole = yield* s.readArtifact(hash)
              const streamed = Buffer.concat(Chunk.toReadonlyArray(yield* Stream.runCollect(s.streamArtifact(hash))))
              out.push({ n, hash, whole, streamed, fromBuffer })
            }
            return { out, stats: yield* s.stats(), verify: yield* s.verify() }
          }),
        path,
        opts
      )
      for (const { n, hash, whole, streamed, fromBuffer } of r.out) {
        const d = bytes(n, 20 + n)
        assert.equal(hash, sha256(d))
        assert.equal(fromBuffer, hash, "a buffer put of the same bytes is the same artifact")
        assert.ok(Buffer.from(whole).equals(Buffer.from(d)), `whole read of ${n} bytes`)
        assert.ok(Buffer.from(streamed).equals(Buffer.from(d)), `streamed read of ${n} bytes`)
      }
      assert.equal(blobFiles(path).length, 2, "one file for each of the two bodies over the threshold, none for the repeated put")
      assert.equal(r.stats.blobFileBytes, T + 1 + 5 * T + 3)
      assert.deepEqual([r.verify.checked, r.verify.corrupt.length, r.verify.sqlite], [sizes.length, 0, "ok"])
      const raw = new Database(path, { readonly: true })
      assert.equal(raw.prepare("SELECT count(*) FROM artifacts WHERE file = 1").pluck().get(), 2)
      assert.equal(raw.prepare("SELECT count(*) FROM chunks c JOIN artifacts a ON a.blob = c.blob WHERE a.file = 1").pluck().get(), 0)
      assert.equal(raw.prepare("SELECT count(*) FROM uploads").pluck().get(), 0)
      raw.close()
    } finally {
      cleanup()
    }
  })

  it("detects a tampered, truncated or missing blob file; verify --remove drops it and its file", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const [a, b, c] = await withStore(
        (s) => Effect.all([s.putArtifact("checkpoint", bytes(300, 1)), s.putArtifact("checkpoint", bytes(300, 2)), s.putArtifact("checkpoint", bytes(300, 3))]),
        path,
        opts
      )
      const raw = new Database(path, { readonly: true })
      const fileOf = (h: string) => join(`${path}.blobs`, String(raw.prepare("SELECT blob FROM artifacts WHERE hash = ?").pluck().get(h)))
      const [fa, fb, fc] = [fileOf(a), fileOf(b), fileOf(c)]
      raw.close()
      const t = readFileSync(fa)
      t[100] ^= 1
      writeFileSync(fa, t)
      truncateSync(fb, 200)
      rmSync(fc)
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            const reads = yield* Effect.forEach([a, b, c], (h) => Effect.flip(s.readArtifact(h)))
            const streams = yield* Effect.forEach([a, b, c], (h) => Effect.flip(Stream.runDrain(s.streamArtifact(h))))
            const verify = yield* s.verify({ remove: true })
            return { reads, streams, verify, stats: yield* s.stats() }
          }),
        path,
        opts
      )
      for (const e of [...r.reads, ...r.streams]) assert.equal(e._tag, "CorruptArtifact")
      assert.match((r.reads[2] as { detail: string }).detail, /missing/)
      assert.deepEqual(r.verify.corrupt.map((x) => x.hash).sort(), [a, b, c].sort())
      assert.equal(r.verify.removed, 3)
      assert.equal(r.stats.artifacts, 0)
      assert.deepEqual(blobFiles(path), [], "evicting removed the files")
    } finally {
      cleanup()
    }
  })

  it("a failing body past the threshold leaves no file; gc evicts files and sweeps orphans", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield bytes(200, 1)
        throw new Error("source broke")
      }
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            const err = yield* Effect.flip(s.putArtifact("checkpoint", failing()))
            const filesAfterFailure = blobFiles(path)
            yield* s.putArtifact("checkpoint", bytes(500, 4))
            writeFileSync(join(`${path}.blobs`, "999"), "orphan")
            const gc = yield* s.gc({ maxBytes: 0 })
            return { err, filesAfterFailure, gc, stats: yield* s.stats() }
          }),
        path,
        opts
      )
      assert.equal(r.err._tag, "StoreFailed")
      assert.deepEqual(r.filesAfterFailure, [])
      assert.equal(r.gc.evicted.length, 1)
      assert.equal(r.gc.abandonedUploads, 1, "the orphan file is swept")
      assert.deepEqual(blobFiles(path), [])
      assert.equal(r.stats.blobFileBytes, 0)
    } finally {
      cleanup()
    }
  })

  it("exports a file artifact and imports it into another store as a file again", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const a = join(dir, "a.sqlite")
      const b = join(dir, "b.sqlite")
      const file = join(dir, "x.export")
      const d = bytes(1000, 8)
      const h = await withStore((s) => Effect.zipLeft(s.putArtifact("checkpoint", d), s.exportTo(file)), a, opts)
      const r = await withStore((s) => Effect.zipRight(s.importFrom(file), Effect.all([s.readArtifact(h), s.stats()])), b, opts)
      assert.ok(Buffer.from(r[0]).equals(Buffer.from(d)))
      assert.equal(r[1].blobFileBytes, 1000)
      assert.equal(blobFiles(b).length, 1)
    } finally {
      cleanup()
    }
  })

  it("opens a version-1 store (no file column) and migrates it", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const h = await withStore((s) => s.putArtifact("value", bytes(10, 1)), path)
      const raw = new Database(path)
      raw.exec("ALTER TABLE artifacts DROP COLUMN file")
      raw.prepare("UPDATE meta SET v = '1' WHERE k = 'schema'").run()
      raw.close()
      const r = await withStore((s) => Effect.all([s.readArtifact(h), s.putArtifact("checkpoint", bytes(300, 2))]), path, opts)
      assert.equal(r[0].byteLength, 10)
      const check = new Database(path, { readonly: true })
      assert.equal(check.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get(), "2")
      assert.equal(check.prepare("SELECT file FROM artifacts WHERE hash = ?").pluck().get(r[1]), 1)
      check.close()
    } finally {
      cleanup()
    }
  })
})
