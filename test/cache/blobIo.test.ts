/**
 * Blob-file I/O: direct and buffered, over several pieces, with the
 * borrowed-piece read (`scanArtifact`), damaged files and fd hygiene.
 */
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { closeSync, constants, existsSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { Chunk, Effect, Fiber, Stream } from "effect"
import type { ContentHash } from "../../src/cache/CacheStore.js"
import { PIECE } from "../../src/cache/internal/directIo.js"
import { encodeTensors } from "../../src/cache/codec.js"
import { loadInput } from "../../src/scheduler/artifacts.js"
import type { CheckpointInput } from "../../src/dsl/Output.js"
import { bytes, failure, pieces, sha256, tempDir, withStore } from "./helpers.js"

/** Over two 8 MiB pieces and not a multiple of the 4 KiB direct-I/O block. */
const N = 2 * PIECE + 4096 + 1234
/** Bodies over one piece become blob files (the default threshold is 32 MiB). */
const fileThreshold = PIECE

/** Descriptor checks read Linux's /proc; elsewhere they are skipped. */
const procFs = existsSync("/proc/self/fdinfo")

/** Open descriptors of this process on `file`, with their open flags. */
const openOn = (file: string): Array<{ fd: number; flags: number }> => {
  const out: Array<{ fd: number; flags: number }> = []
  if (!procFs) return out
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) !== file) continue
      const m = /flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${name}`, "utf8"))
      out.push({ fd: Number(name), flags: m ? parseInt(m[1], 8) : 0 })
    } catch {
      // closed meanwhile
    }
  }
  return out
}
const fdCount = (): number => (procFs ? readdirSync("/proc/self/fd").length : 0)

/** Whether the file system under `dir` takes O_DIRECT (the store falls back when it does not). */
const takesDirect = (dir: string): boolean => {
  const p = join(dir, "probe")
  writeFileSync(p, "x")
  try {
    if (constants.O_DIRECT === undefined) return false
    closeSync(openSync(p, constants.O_RDONLY | constants.O_DIRECT))
    return true
  } catch {
    return false
  }
}

const blobPathOf = (db: string, hash: string): string => {
  const raw = new Database(db, { readonly: true })
  try {
    return join(`${db}.blobs`, String(raw.prepare("SELECT blob FROM artifacts WHERE hash = ?").pluck().get(hash)))
  } finally {
    raw.close()
  }
}

describe("blob-file I/O", () => {
  for (const directIo of [true, false]) {
    it(`${directIo ? "direct" : "buffered"}: a multi-piece artifact reads back whole, streamed and scanned, with its exact size`, async () => {
      const { dir, cleanup } = tempDir()
      try {
        const path = join(dir, "c.sqlite")
        const d = bytes(N, 5)
        const expectDirect = directIo && takesDirect(dir)
        const flagsSeen: Array<number> = []
        const before = fdCount()
        const r = await withStore(
          (s) =>
            Effect.gen(function* () {
              // Odd piece sizes: the writer's pieces never line up with the caller's.
              const hash = yield* s.putArtifact("checkpoint", pieces(d, [1_000_003, 77, 4096]))
              const whole = yield* s.readArtifact(hash)
              const owned = Chunk.toReadonlyArray(yield* Stream.runCollect(s.streamArtifact(hash)))
              const scanned = Buffer.allocUnsafe(N)
              let at = 0
              let calls = 0
              const file = blobPathOf(path, hash)
              yield* s.scanArtifact(hash, (piece) =>
                Effect.sync(() => {
                  if (calls++ === 0) for (const o of openOn(file)) flagsSeen.push(o.flags)
                  scanned.set(piece, at)
                  at += piece.byteLength
                })
              )
              return { hash, whole, owned, scanned, calls, file, verify: yield* s.verify() }
            }),
          path,
          { directIo, fileThreshold }
        )
        assert.equal(r.hash, sha256(d))
        assert.equal(statSync(r.file).size, N, "the direct writer's padding is cut off")
        assert.ok(Buffer.from(r.whole).equals(Buffer.from(d)))
        // Owned pieces were collected before comparing: had they been the reader's reused buffers, they would differ.
        assert.ok(Buffer.concat(r.owned).equals(Buffer.from(d)), "streamed pieces are the caller's own")
        assert.ok(r.scanned.equals(Buffer.from(d)))
        assert.equal(r.calls, Math.ceil(N / PIECE))
        assert.deepEqual([r.verify.checked, r.verify.corrupt.length], [1, 0])
        if (procFs) assert.ok(flagsSeen.length > 0, "the blob file was open during the scan")
        // (A file system may take O_DIRECT at open and refuse a transfer: the store then adds a buffered descriptor.)
        if (procFs) assert.equal(flagsSeen.some((f) => (f & constants.O_DIRECT) !== 0), expectDirect, `open flags ${flagsSeen.map((f) => f.toString(8))}`)
        assert.equal(fdCount(), before, "every descriptor is closed")
      } finally {
        cleanup()
      }
    })
  }

  it("scanArtifact hands out chunk rows of a small artifact in order and checks the hash", async () => {
    const d = bytes(100, 3)
    const r = await withStore(
      (s) =>
        Effect.gen(function* () {
          const h = yield* s.putArtifact("value", pieces(d, [30]))
          const seen: Array<number> = []
          const got: Array<Uint8Array> = []
          yield* s.scanArtifact(h, (p) => Effect.sync(() => void (seen.push(p.byteLength), got.push(Uint8Array.from(p)))))
          const missing = yield* Effect.flip(s.scanArtifact("0".repeat(64) as ContentHash, () => Effect.void))
          return { seen, got, missing }
        }),
      ":memory:",
      { chunkSize: 16 }
    )
    assert.deepEqual(r.seen, [16, 16, 16, 16, 16, 16, 4])
    assert.ok(Buffer.concat(r.got).equals(Buffer.from(d)))
    assert.equal(r.missing._tag, "MissingArtifact")
  })

  it("a tampered or truncated file fails the scan (after the bytes, or at once) and leaves no descriptor open", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const [a, b] = await withStore((s) => Effect.all([s.putArtifact("checkpoint", bytes(N, 1)), s.putArtifact("checkpoint", bytes(N, 2))]), path, { fileThreshold })
      const fa = blobPathOf(path, a)
      const t = readFileSync(fa)
      t[PIECE + 5] ^= 1
      writeFileSync(fa, t)
      truncateSync(blobPathOf(path, b), N - 1)
      const before = fdCount()
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            let seenA = 0
            const ea = yield* Effect.flip(s.scanArtifact(a, (p) => Effect.sync(() => void (seenA += p.byteLength))))
            let seenB = 0
            const eb = yield* Effect.flip(s.scanArtifact(b, (p) => Effect.sync(() => void (seenB += p.byteLength))))
            const whole = yield* Effect.flip(s.readArtifact(a))
            return { ea, eb, seenA, seenB, whole }
          }),
        path,
        { fileThreshold }
      )
      assert.equal(r.ea._tag, "CorruptArtifact")
      assert.equal(r.seenA, N, "the tampered bytes were all handed out before the hash check")
      assert.equal(r.eb._tag, "CorruptArtifact")
      assert.match((r.eb as { detail: string }).detail, new RegExp(`holds ${N - 1} bytes, not ${N}`))
      assert.equal(r.seenB, 0, "a file of the wrong size fails before any byte")
      assert.equal(r.whole._tag, "CorruptArtifact")
      assert.equal(fdCount(), before)
    } finally {
      cleanup()
    }
  })

  it("a consumer's failure or an interruption mid-scan closes the file", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const h = await withStore((s) => s.putArtifact("checkpoint", bytes(N, 9)), path, { fileThreshold })
      const file = blobPathOf(path, h)
      const r = await withStore(
        (s) =>
          Effect.gen(function* () {
            const err = yield* Effect.flip(s.scanArtifact(h, () => Effect.fail("consumer gave up" as const)))
            const openAfterFailure = openOn(file).length
            let entered = 0
            const fiber = yield* Effect.fork(
              s.scanArtifact(h, () => Effect.zipRight(Effect.sync(() => void entered++), Effect.never))
            )
            while (entered === 0) yield* Effect.sleep(1)
            const openDuring = openOn(file).length
            yield* Fiber.interrupt(fiber)
            return { err, openAfterFailure, openDuring, openAfterInterrupt: openOn(file).length }
          }),
        path,
        { fileThreshold }
      )
      assert.equal(r.err, "consumer gave up", "the consumer's own error comes through")
      assert.equal(r.openAfterFailure, 0)
      if (procFs) assert.ok(r.openDuring >= 1)
      assert.equal(r.openAfterInterrupt, 0)
    } finally {
      cleanup()
    }
  })

  it("a body that fails with writes in flight leaves no file, no upload and no descriptor", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const d = bytes(N, 4)
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield* pieces(d, [PIECE + 17])
        throw new Error("source broke")
      }
      const before = fdCount()
      const err = await failure(Effect.scoped(Effect.gen(function* () {
        const { make } = yield* Effect.promise(() => import("../../src/cache/CacheStore.js"))
        const s = yield* make(path, { fileThreshold })
        return yield* s.putArtifact("checkpoint", failing())
      })))
      assert.equal(err._tag, "StoreFailed")
      assert.deepEqual(readdirSync(`${path}.blobs`), [])
      const raw = new Database(path, { readonly: true })
      assert.equal(raw.prepare("SELECT count(*) FROM uploads").pluck().get(), 0)
      raw.close()
      assert.equal(fdCount(), before)
    } finally {
      cleanup()
    }
  })

  it("a checkpoint input decodes its tensors from the scanned pieces of a multi-piece file", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const w = new Float32Array(5_000_000).map((_, i) => Math.sin(i))
      const ids = Int32Array.from({ length: 1001 }, (_, i) => i * 7 - 3000)
      const body = await Effect.runPromise(encodeTensors({ "visual.w": { dtype: "F32", shape: [5000, 1000], data: w }, ids: { dtype: "I32", shape: [1001], data: ids } }))
      const t = await withStore(
        (s) =>
          Effect.gen(function* () {
            const hash = yield* s.putArtifact("checkpoint", body)
            const ref = (yield* loadInput(s, { kind: "checkpoint" }, hash, "finetune", "model")) as CheckpointInput
            return yield* Effect.promise(() => ref.tensors())
          }),
        path,
        { fileThreshold }
      )
      assert.ok(body.byteLength > 2 * PIECE)
      assert.deepEqual(t["visual.w"].shape, [5000, 1000])
      assert.ok(Buffer.from((t["visual.w"].data as Float32Array).buffer).equals(Buffer.from(w.buffer)))
      assert.deepEqual([...(t.ids.data as Int32Array)], [...ids])
    } finally {
      cleanup()
    }
  })
})
