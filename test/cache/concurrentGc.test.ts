// gc, verify and writers in separate processes on one store: nothing committed or about to be
// published may lose its bytes, a process never loses an artifact it is using, and verify never
// takes an eviction for corruption. Each test counts what was lost and passes only at zero.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { tempDir, withStore } from "./helpers.js"

const CONTEND = fileURLToPath(new URL("./helpers/contend.ts", import.meta.url))
const CHAIN = fileURLToPath(new URL("./helpers/chain.ts", import.meta.url))
/** Artifacts per publisher (CLIPCL_STRESS=N multiplies, for longer hunts). */
const SCALE = Number(process.env.CLIPCL_STRESS ?? 1)

interface Proc {
  readonly out: string[]
  readonly done: Promise<{ code: number | null; stderr: string }>
  readonly started: Promise<void>
}

const spawnNode = (args: string[], env: Record<string, string> = {}): Proc => {
  const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
  const out: string[] = []
  let buf = ""
  let stderr = ""
  let onStart: () => void = () => {}
  const started = new Promise<void>((r) => (onStart = r))
  p.stdout.on("data", (d: Buffer) => {
    buf += d.toString()
    let i: number
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      out.push(line)
      if (line === "started") onStart()
    }
  })
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const done = new Promise<{ code: number | null; stderr: string }>((r) => p.on("exit", (code) => r({ code, stderr })))
  void done.then(onStart)
  return { out, done, started }
}
const contend = (...args: string[]) => spawnNode(["--import", "tsx", CONTEND, ...args])
const last = (p: Proc) => JSON.parse(p.out.at(-1) ?? "null")

/** After the contention: the store verifies clean, and a final gc finds no orphan to sweep. */
const soundAfter = (path: string) =>
  withStore(
    (s) =>
      Effect.gen(function* () {
        const v = yield* s.verify()
        return { corrupt: v.corrupt.map((c) => `${c.hash.slice(0, 12)}: ${c.detail}`), sqlite: v.sqlite, checked: v.checked }
      }),
    path,
    { chunkSize: 16 * 1024, fileThreshold: 48 * 1024 }
  )

describe("gc beside other processes", () => {
  it("gc in a loop against two publishers in a loop loses no artifact", { timeout: 300_000 }, async (t) => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const stop = join(dir, "stop")
      await withStore(() => Effect.void, path) // create it first, so the processes race only on data
      const gc = contend("gc", path, stop)
      await gc.started
      // Two lanes of short-lived publishers: once one closes, gc may evict what it wrote while
      // the other lane publishes.
      const pubs: Proc[] = []
      const lane = async (lane: number) => {
        const ends: Array<{ code: number | null; stderr: string }> = []
        for (let k = 0; k < 2 * SCALE; k++) {
          const p = contend("publish", path, String(lane * 100 + k), "60")
          pubs.push(p)
          ends.push(await p.done)
        }
        return ends
      }
      const ends = (await Promise.all([lane(1), lane(2)])).flat()
      writeFileSync(stop, "")
      const g = await gc.done
      assert.equal(g.code, 0, g.stderr)
      for (const e of ends) assert.equal(e.code, 0, e.stderr)
      const lost = pubs.flatMap((p) => last(p).lost as string[])
      const gcr = last(gc)
      const after = await soundAfter(path)
      t.diagnostic(`published ${pubs.length * 60} artifacts against ${gcr.iterations} gc passes (${gcr.evicted} evictions, ${gcr.inUse} in-use skips); lost ${lost.length + after.corrupt.length}`)
      assert.deepEqual(lost, [], "every artifact a publisher had just put was there for it")
      assert.deepEqual(after.corrupt, [], "no committed artifact lost its bytes")
      assert.equal(after.sqlite, "ok")
      assert.ok(gcr.iterations > 5 && gcr.evicted > 0, "gc really ran and evicted meanwhile")
    } finally {
      cleanup()
    }
  })

  it("verify in a loop beside gc and a publisher reports no corruption", { timeout: 300_000 }, async (t) => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const stop = join(dir, "stop")
      await withStore(() => Effect.void, path)
      const gc = contend("gc", path, stop)
      const verify = contend("verify", path, stop)
      await Promise.all([gc.started, verify.started])
      // Short-lived publishers one after another: what each wrote is evicted while verify reads.
      const lost: string[] = []
      for (let k = 0; k < 4 * SCALE; k++) {
        const pub = contend("publish", path, String(300 + k), "25")
        const e = await pub.done
        assert.equal(e.code, 0, e.stderr)
        lost.push(...(last(pub).lost as string[]))
      }
      writeFileSync(stop, "")
      const [g, v] = await Promise.all([gc.done, verify.done])
      assert.equal(g.code, 0, g.stderr)
      assert.equal(v.code, 0, v.stderr)
      const vr = last(verify)
      t.diagnostic(`${vr.iterations} verify passes beside ${last(gc).iterations} gc passes; ${vr.evicted} artifacts evicted under verify; ${vr.corrupt.length} reported corrupt`)
      assert.deepEqual(vr.corrupt, [], "an eviction is never reported as corruption")
      assert.deepEqual(lost, [])
      assert.deepEqual((await soundAfter(path)).corrupt, [])
    } finally {
      cleanup()
    }
  })

  it("`clipcl run` beside `gc --max-size 0` in a loop succeeds every time", { timeout: 300_000 }, async (t) => {
    const { dir, cleanup } = tempDir()
    try {
      const path = join(dir, "c.sqlite")
      const stop = join(dir, "stop")
      await withStore(() => Effect.void, path)
      const gc = contend("gc", path, stop)
      await gc.started
      const failures: string[] = []
      const runs = 2 * SCALE
      for (let seed = 1; seed <= runs; seed++) {
        const r = spawnNode([resolve("bin/clipcl.js"), "run", CHAIN, "--json", "--cache", path], { CLIPCL_TEST_SEED: String(seed) })
        const x = await r.done
        const summary = r.out.map((l) => { try { return JSON.parse(l) } catch { return null } }).find((e) => e?.type === "summary")
        if (x.code !== 0 || summary?.ran !== 10) failures.push(`seed ${seed}: exit ${x.code}, ${JSON.stringify(summary)} ${x.stderr} ${r.out.filter((l) => l.includes("failed")).join("\n")}`)
      }
      writeFileSync(stop, "")
      const g = await gc.done
      assert.equal(g.code, 0, g.stderr)
      t.diagnostic(`${runs} runs of 10 stages against ${last(gc).iterations} gc passes (${last(gc).evicted} evictions); ${failures.length} failed`)
      assert.deepEqual(failures, [])
      assert.deepEqual((await soundAfter(path)).corrupt, [])
    } finally {
      cleanup()
    }
  })
})
