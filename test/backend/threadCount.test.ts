// Results independent of the thread count: the same step on 1 and on 2 pool threads gives the same
// bits with clipcl's own GEMM (CLIPCL_GEMM=vendored), so a Slurm job given 1 CPU and a laptop
// using 2 compute the same outputs. OpenBLAS's GEMM does not promise that (its blocking follows
// its thread count); docs/backend.md says so, and this test shows what holds.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { test } from "node:test"
import { fileURLToPath } from "node:url"
import { skipNative } from "./helpers.js"

const script = fileURLToPath(new URL("./fixtures/threadHashes.ts", import.meta.url))

const hashes = (threads: number, gemm: string): Record<string, string> => {
  const env = { ...process.env, CLIPCL_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), CLIPCL_GEMM: gemm }
  const r = spawnSync(process.execPath, ["--conditions=clipcl-source", "--import", "tsx", script], { encoding: "utf8", env, timeout: 120_000 })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string>
}

test("clipcl's own GEMM and the other native kernels give the same bits on 1 and 2 threads", { skip: skipNative }, () => {
  const one = hashes(1, "vendored")
  assert.deepEqual(hashes(2, "vendored"), one)
  assert.ok(Object.keys(one).length >= 7)
})
