import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import type { CacheKey, ContentHash } from "../../src/cache/CacheStore.js"
import { bytes, sha256, tempDir, withStore } from "./helpers.js"

const CHILD = fileURLToPath(new URL("./helpers/child.ts", import.meta.url))

interface Child {
  readonly lines: string[]
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
  readonly kill: () => void
  /** Resolves once a stdout line satisfies `pred`. */
  readonly waitFor: (pred: (line: string) => boolean) => Promise<void>
}

const start = (args: string[]): Child => {
  const p = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] })
  const lines: string[] = []
  const waiters: Array<{ pred: (l: string) => boolean; resolve: () => void }> = []
  let buf = ""
  let stderr = ""
  p.stdout.on("data", (d: Buffer) => {
    buf += d.toString()
    let i: number
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      lines.push(line)
      for (const w of [...waiters]) if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  })
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    p.on("exit", (code, signal) => resolve({ code, signal, stderr }))
  )
  return {
    lines,
    exited,
    kill: () => void p.kill("SIGKILL"),
    waitFor: (pred) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some(pred)) return resolve()
        waiters.push({ pred, resolve })
        void exited.then((x) => reject(new Error(`child exited (${x.code}) first: ${x.stderr}`)))
      })
  }
}

describe("processes sharing one store", () => {
  // As chunk rows (under the file threshold) and as a blob file (over it).
  for (const [mode, threshold] of [["chunk rows", []], ["a blob file", [String(1024 * 1024)]]] as const)
  it(`a SIGKILL mid-write (${mode}) leaves the store consistent with nothing partial visible; the write then succeeds`, async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const SIZE = 8 * 1024 * 1024
      const CHUNK = 64 * 1024
      const expected = sha256(bytes(SIZE, 5))
      // Kill at several points of the write: early, middle, and some time after the middle.
      for (const [after, delayMs] of [[1, 0], [40, 0], [60, 25]]) {
        const c = start(["slow-write", path, String(SIZE), String(CHUNK), "5", ...threshold])
        await c.waitFor((l) => l === `piece ${after}`)
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
        c.kill()
        const x = await c.exited
        assert.equal(x.signal, "SIGKILL")
        const r = await withStore((s) =>
          Effect.gen(function* () {
            return {
              has: yield* s.hasArtifact(expected as ContentHash),
              hit: yield* s.lookup("key-5" as CacheKey),
              stats: yield* s.stats(),
              verify: yield* s.verify()
            }
          }), path)
        assert.equal(r.has, false, `killed after piece ${after}: no partial artifact`)
        assert.ok(Option.isNone(r.hit))
        assert.equal(r.stats.artifacts, 0)
        assert.equal(r.stats.incompleteUploads, 0, "the dead writer's staged chunks were swept on open")
        assert.equal(r.verify.sqlite, "ok")
        const raw = new Database(path, { readonly: true })
        assert.equal(raw.prepare("SELECT count(*) FROM chunks").pluck().get(), 0, "no orphan chunks")
        raw.close()
        assert.deepEqual(existsSync(`${path}.blobs`) ? readdirSync(`${path}.blobs`) : [], [], "no partial blob file")
      }
      // The retried write succeeds.
      const ok = start(["slow-write", path, String(SIZE), String(CHUNK), "5", ...threshold])
      const x = await ok.exited
      assert.equal(x.code, 0, x.stderr)
      assert.ok(ok.lines.includes(`done ${expected}`))
      const r = await withStore((s) =>
        Effect.gen(function* () {
          return { hit: yield* s.lookup("key-5" as CacheKey), verify: yield* s.verify() }
        }), path)
      assert.equal(Option.getOrThrow(r.hit).output, expected)
      assert.deepEqual([r.verify.checked, r.verify.corrupt.length, r.verify.sqlite], [1, 0, "ok"])
    } finally {
      cleanup()
    }
  })

  it("a SIGKILL while small writes are group-committed leaves only whole artifacts and bindings to them", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const c = start(["small-writes", path])
      await c.waitFor((l) => l === "wrote 1500")
      c.kill()
      assert.equal((await c.exited).signal, "SIGKILL")
      const raw = new Database(path, { readonly: true })
      const runs = raw.prepare("SELECT count(*) FROM runs").pluck().get() as number
      const dangling = raw
        .prepare("SELECT count(*) FROM bindings b WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.hash = b.output)")
        .pluck()
        .get()
      const unbound = raw
        .prepare("SELECT count(*) FROM runs r WHERE NOT EXISTS (SELECT 1 FROM bindings b WHERE b.run = r.id)")
        .pluck()
        .get()
      const chunkless = raw
        .prepare("SELECT count(*) FROM artifacts a WHERE a.chunks <> (SELECT count(*) FROM chunks c WHERE c.blob = a.blob)")
        .pluck()
        .get()
      const orphans = raw
        .prepare("SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.blob = c.blob)")
        .pluck()
        .get()
      const uploads = raw.prepare("SELECT count(*) FROM uploads").pluck().get()
      raw.close()
      // Batches of at most 512 writes (256 stages' put + record) are committed as they fill.
      assert.ok(runs >= 1000, `only ${runs} runs were committed before the kill`)
      assert.deepEqual({ dangling, unbound, chunkless, orphans, uploads }, { dangling: 0, unbound: 0, chunkless: 0, orphans: 0, uploads: 0 })
      const r = await withStore((s) => Effect.all([s.verify(), s.lookup(`small-${runs - 1}` as CacheKey)]), path)
      assert.deepEqual([r[0].corrupt.length, r[0].sqlite], [0, "ok"])
      assert.ok(Option.isSome(r[1]), "the last committed run is a cache hit")
    } finally {
      cleanup()
    }
  })

  it("two processes writing and reading one store at once both finish, and all data verifies", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const a = start(["mix", path, "1", "24"])
      const b = start(["mix", path, "2", "24"])
      const [xa, xb] = await Promise.all([a.exited, b.exited])
      assert.equal(xa.code, 0, xa.stderr)
      assert.equal(xb.code, 0, xb.stderr)
      const ra = JSON.parse(a.lines.at(-1) as string) as { written: Record<string, string>; maxOpMs: number }
      const rb = JSON.parse(b.lines.at(-1) as string) as { written: Record<string, string>; maxOpMs: number }
      // Shared contents got the same hash in both processes and are stored once.
      for (const k of Object.keys(ra.written)) if (k in rb.written) assert.equal(ra.written[k], rb.written[k])
      const all = new Set([...Object.values(ra.written), ...Object.values(rb.written)])
      const r = await withStore((s) => Effect.all([s.verify(), s.stats(), s.runs()]), path)
      assert.equal(r[0].sqlite, "ok")
      assert.equal(r[0].corrupt.length, 0)
      assert.equal(r[1].artifacts, all.size)
      assert.equal(r[1].incompleteUploads, 0)
      assert.equal(r[2].length, 48)
      // Neither process waited long on the other (generous: the machine is shared).
      assert.ok(Math.max(ra.maxOpMs, rb.maxOpMs) < 5000, `slowest operation ${Math.max(ra.maxOpMs, rb.maxOpMs)} ms`)
    } finally {
      cleanup()
    }
  })
})
