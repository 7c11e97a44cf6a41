// A full disk between a stage's output and its run record: the run says so and exits 1, and the
// WAL's space is given back. Runs on a small tmpfs (root); outside CI it skips where mount is refused.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { mkdirSync, rmSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import type { CacheKey } from "../../src/cache/CacheStore.js"
import { bytes, failure, tempDir, withStore } from "./helpers.js"
import { mountTmpfs, mustMount } from "./helpers/mount.js"

const FILL = fileURLToPath(new URL("./helpers/fill.ts", import.meta.url))

const runCli = (args: string[], env: Record<string, string>) =>
  new Promise<{ code: number | null; out: string; err: string }>((res) => {
    const p = spawn(process.execPath, [resolve("bin/clipcl.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    p.stdout.on("data", (d) => (out += d))
    p.stderr.on("data", (d) => (err += d))
    p.on("exit", (code) => res({ code, out, err }))
  })

const size = (p: string): number => {
  try {
    return statSync(p).size
  } catch {
    return 0
  }
}

/** Run `body` on a fresh small tmpfs (skipping, or failing in CI, where it cannot be mounted). */
const onTmpfs = async (t: { skip: (m: string) => void }, mb: number, body: (dir: string) => Promise<void>) => {
  const { dir, cleanup } = tempDir()
  const mnt = join(dir, "mnt")
  mkdirSync(mnt)
  const m = mountTmpfs(mnt, `${mb}m`)
  if (typeof m === "string") {
    cleanup()
    if (mustMount()) assert.fail(`the full-disk test needs a tmpfs in CI: ${m}`)
    t.skip(`no tmpfs (${m})`)
    return
  }
  try {
    await body(mnt)
  } finally {
    m()
    cleanup()
  }
}

describe("a full disk", () => {
  it("`clipcl run` whose run record cannot be written fails its stage, exits 1, and gives the WAL's space back", { timeout: 120_000 }, async (t) => {
    await onTmpfs(t, 24, async (mnt) => {
      const cache = join(mnt, "c.sqlite")
      const filler = join(mnt, "filler")
      await withStore(() => Effect.void, cache) // an existing cache (its schema checkpointed into the file)
      const r = await runCli(["run", FILL, "--json", "--cache", cache], { CLIPCL_TEST_FILL: filler })
      const events = r.out.split("\n").flatMap((l) => { try { return [JSON.parse(l)] } catch { return [] } })
      const last = events.filter((e) => e.type === "stage" && e.stage === "big").at(-1)
      assert.equal(r.code, 1, `exit code; stdout: ${r.out} stderr: ${r.err}`)
      assert.equal(last?.status, "failed")
      assert.match(last.error.message, /could not be recorded in the cache.*(database or disk is full|no space)/i)
      const summary = events.find((e) => e.type === "summary")
      assert.equal(summary.failed, 1)
      assert.equal(summary.ran, 0)
      // The failed batch's frames do not stay in the WAL, keeping the disk full.
      assert.ok(size(cache + "-wal") < 256 * 1024, `WAL is ${size(cache + "-wal")} bytes after the failure`)
      // With room again the stage runs (nothing was recorded) and then is a hit.
      rmSync(filler)
      const again = await runCli(["run", FILL, "--json", "--cache", cache], {})
      assert.equal(again.code, 0, again.err)
      assert.match(again.out, /"stage":"big","key":"[0-9a-f]+","status":"ran"/)
      const third = await runCli(["run", FILL, "--json", "--cache", cache], {})
      assert.match(third.out, /"status":"cached"/)
    })
  })

  it("flush() names the runs it could not record, and the WAL is truncated after the failure", { timeout: 60_000 }, async (t) => {
    await onTmpfs(t, 16, async (mnt) => {
      const path = join(mnt, "c.sqlite")
      const filler = join(mnt, "filler")
      await withStore(() => Effect.void, path)
      const r = await withStore((s) =>
        Effect.gen(function* () {
          const h = yield* s.putArtifact("value", bytes(10, 1))
          yield* s.flush()
          // Fill the disk, then queue a 900 KB artifact and its run record.
          const { execFileSync } = yield* Effect.promise(() => import("node:child_process"))
          try {
            execFileSync("dd", ["if=/dev/zero", `of=${filler}`, "bs=64k"], { stdio: "ignore" })
          } catch {
            // dd stops at ENOSPC
          }
          const big = yield* s.putArtifact("value", bytes(900_000, 2))
          yield* s.recordRun({
            key: "k-full" as CacheKey, pipeline: "p", stage: "s", stageKind: "S", preimage: {}, params: {}, inputs: {},
            output: big, outputKind: "value", status: "ok", startedAt: 1, endedAt: 2, metrics: null, logTail: "", error: null
          })
          const e = yield* Effect.promise(() => failure(s.flush()))
          return { e, h, wal: size(path + "-wal") }
        }), path)
      assert.equal(r.e._tag, "RunsNotRecorded")
      assert.deepEqual(r.e.keys, ["k-full"])
      assert.match(r.e.message, /could not record 1 run\(s\) in the cache .*database or disk is full/)
      assert.ok(r.wal < 256 * 1024, `WAL is ${r.wal} bytes after the failure`)
      rmSync(filler)
    })
  })
})
