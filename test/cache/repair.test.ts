// Repair: putting the bytes of an artifact whose stored copy is damaged or missing replaces the
// copy (keys stay bound); a consumer of a corrupt artifact is told the repair command.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import type { CacheKey, ContentHash } from "../../src/cache/CacheStore.js"
import { main } from "../../src/cli/main.js"
import { bytes, failure, pieces, sha256, tempDir, withStore } from "./helpers.js"

const opts = { chunkSize: 64 * 1024, fileThreshold: 256 * 1024 }
const record = (key: string, output: ContentHash) => ({
  key: key as CacheKey, pipeline: "p", stage: "s", stageKind: "S", preimage: {}, params: {}, inputs: {},
  output, outputKind: "value" as const, status: "ok" as const, startedAt: 1, endedAt: 2, metrics: null, logTail: "", error: null
})

const listBlobs = (path: string): number[] => readdirSync(`${path}.blobs`).map(Number).sort((a, b) => a - b)

const cli = async (...args: string[]) => {
  let out = ""
  let err = ""
  const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, onInterrupt: () => () => {} })
  return { code, out, err }
}

/** Damage one stored byte of `hash` (a chunk row or its blob file) from outside the store. */
const damage = (path: string, hash: string, how: "flip" | "delete-file") => {
  const raw = new Database(path)
  const row = raw.prepare("SELECT blob, file FROM artifacts WHERE hash = ?").get(hash) as { blob: number; file: number }
  if (row.file === 1) {
    const f = join(`${path}.blobs`, String(row.blob))
    if (how === "delete-file") rmSync(f)
    else {
      const b = readFileSync(f)
      b[b.length >> 1] ^= 0xff
      writeFileSync(f, b)
    }
  } else {
    const data = raw.prepare("SELECT data FROM chunks WHERE blob = ? AND idx = 0").pluck().get(row.blob) as Buffer
    data[data.length >> 1] ^= 0xff
    raw.prepare("UPDATE chunks SET data = ? WHERE blob = ? AND idx = 0").run(data, row.blob)
  }
  raw.close()
}

describe("repair by putting the same bytes again", () => {
  const cases: Array<[string, number, "flip" | "delete-file", boolean]> = [
    ["a small chunk-row artifact with a flipped byte, put as a buffer", 3000, "flip", false],
    ["a multi-chunk artifact with a flipped byte, put as a stream", 200 * 1024, "flip", true],
    ["a blob file with a flipped byte, put as a stream", 600 * 1024, "flip", true],
    ["a blob file that is gone, put as a buffer", 600 * 1024, "delete-file", false]
  ]
  for (const [what, size, how, streamed] of cases)
    it(what, async () => {
      const { dir, cleanup } = tempDir()
      try {
        const path = join(dir, "c.sqlite")
        const data = bytes(size, size)
        const h = await withStore((s) => Effect.gen(function* () {
          const h = yield* s.putArtifact("value", data)
          yield* s.recordRun(record("k", h))
          return h
        }), path, opts)
        damage(path, h, how)
        const r = await withStore((s) => Effect.gen(function* () {
          const before = yield* s.verify()
          const again = yield* s.putArtifact("value", streamed ? pieces(data, [7000, 50_000]) : data)
          const back = yield* s.readArtifact(h)
          const hit = yield* s.lookup("k" as CacheKey)
          const after = yield* s.verify()
          return { before, again, back, hit, after }
        }), path, opts)
        assert.equal(r.before.corrupt.length, 1, "the damage is there before")
        assert.equal(r.again, h)
        assert.equal(sha256(r.back), h, "the repaired copy reads back")
        assert.ok(Option.isSome(r.hit), "the key stays bound")
        assert.deepEqual(r.after.corrupt, [])
        const raw = new Database(path)
        const orphans = raw.prepare("SELECT count(*) FROM chunks WHERE blob NOT IN (SELECT blob FROM artifacts)").pluck().get()
        const uploads = raw.prepare("SELECT count(*) FROM uploads").pluck().get()
        raw.close()
        assert.equal(orphans, 0, "the damaged copy's chunks are freed")
        assert.equal(uploads, 0)
      } finally {
        cleanup()
      }
    })

  it("a sound stored copy is kept (the new bytes are dropped)", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const data = bytes(600 * 1024, 9)
      const r = await withStore((s) => Effect.gen(function* () {
        const h = yield* s.putArtifact("value", data)
        yield* s.putArtifact("value", pieces(data, [100_000]))
        return { h }
      }), path, opts)
      const raw = new Database(path)
      const files = raw.prepare("SELECT count(*) FROM artifacts WHERE file = 1").pluck().get()
      raw.close()
      assert.equal(files, 1)
      assert.deepEqual(listBlobs(path), [1], "the first file stays, the second is freed")
      assert.ok(r.h)
    } finally {
      cleanup()
    }
  })

  it("a consumer of a corrupt artifact is told which commands repair it", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const h = await withStore((s) => s.putArtifact("value", bytes(3000, 4)), path, opts)
      damage(path, h, "flip")
      const e = await withStore((s) => Effect.promise(() => failure(s.readArtifact(h))), path, opts)
      assert.equal(e._tag, "CorruptArtifact")
      assert.match(e.message, /is corrupt: content does not hash to its name/)
      assert.match(e.message, /clipcl run FILE --force STAGE/)
      assert.match(e.message, /clipcl cache verify --remove/)
    } finally {
      cleanup()
    }
  })

  it("`clipcl run --force PRODUCER` repairs a damaged output, and its consumers then run", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const cache = join(dir, "c.sqlite")
      const ok = resolve("test/fixtures/pipelines/ok.ts")
      assert.equal((await cli("run", ok, "--json", "--cache", cache)).code, 0)
      const raw = new Database(cache)
      const out = raw.prepare("SELECT output FROM runs WHERE stage = 'numbers'").pluck().get() as string
      raw.close()
      damage(cache, out, "flip")
      // A consumer that must read it fails, naming the repair.
      const broken = await cli("run", ok, "--json", "--cache", cache, "--force", "square")
      assert.equal(broken.code, 1)
      assert.match(broken.out, /is corrupt.*clipcl run FILE --force STAGE/)
      const fixed = await cli("run", ok, "--json", "--cache", cache, "--force", "numbers", "--force", "square")
      assert.equal(fixed.code, 0, fixed.out + fixed.err)
      assert.equal((await cli("cache", "verify", "--cache", cache)).code, 0)
    } finally {
      cleanup()
    }
  })
})

describe("cache gc --all", () => {
  it("with no limit, evicts every artifact (pinned and last-used ones too)", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const cache = join(dir, "c.sqlite")
      assert.equal((await cli("run", resolve("test/fixtures/pipelines/ok.ts"), "--json", "--cache", cache)).code, 0)
      const raw = new Database(cache)
      const one = raw.prepare("SELECT hash FROM artifacts LIMIT 1").pluck().get() as string
      raw.close()
      assert.equal((await cli("cache", "pin", one, "--cache", cache)).code, 0)
      const plain = await cli("cache", "gc", "--json", "--cache", cache)
      assert.equal(JSON.parse(plain.out).evicted.length, 0, "without --all nothing the last run used goes")
      const all = await cli("cache", "gc", "--all", "--json", "--cache", cache)
      assert.equal(all.code, 0, all.err)
      assert.equal(JSON.parse(all.out).evicted.length, 5)
      const stats = JSON.parse((await cli("cache", "stats", "--json", "--cache", cache)).out)
      assert.equal(stats.artifacts, 0)
    } finally {
      cleanup()
    }
  })
})
