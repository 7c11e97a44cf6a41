// Backend selection: each case runs in a fresh Node process, because the
// addon and the tfjs backend registry are per process.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { tmpdir } from "node:os"

const script = `
import { initBackend, describeBackend, tf } from "./src/backend/index.ts"
if (process.env.DROP_WASM_KERNEL) {
  await import("@tensorflow/tfjs-backend-wasm")
  tf.unregisterKernel(process.env.DROP_WASM_KERNEL, "wasm")
}
try {
  const info = await initBackend(process.env.ARG || undefined)
  const y = tf.sum(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))).dataSync()[0]
  console.log(JSON.stringify({ ok: true, name: info.name, tf: tf.getBackend(), notice: info.notice ?? null, line: describeBackend(), y }))
} catch (e) {
  console.log(JSON.stringify({ ok: false, tag: e._tag, message: e.message }))
}
`

const select = (env: Record<string, string>, code = script): any => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: join(dirname(fileURLToPath(import.meta.url)), "..", ".."),
    env: { ...process.env, CLIPCL_BACKEND: "", CLIPCL_GEMM: "", ARG: "", ...env },
    encoding: "utf8",
  })
  const line = r.stdout.trim().split("\n").pop() ?? ""
  assert.ok(line.startsWith("{"), `no result; stderr: ${r.stderr}`)
  return JSON.parse(line)
}

const nativeBuilt = existsSync(join(dirname(fileURLToPath(import.meta.url)), "..", "..", "native", "build", "Release", "clipcl_native.node"))
const missing = join(tmpdir(), "clipcl-no-such-addon", "clipcl_native.node")

describe("initBackend", () => {
  it("auto picks the native pack when the addon is built (tfjs-node is absent here)", { skip: nativeBuilt ? false : "native kernels not built" }, () => {
    const r = select({})
    assert.equal(r.ok, true)
    assert.equal(r.name, "native")
    assert.equal(r.tf, "native")
    assert.equal(r.notice, null)
    assert.match(r.line, /^cpu \+ native kernels \((OpenBLAS|Accelerate|own GEMM).*, \d+ threads?\)$/)
    assert.equal(r.y, 24)
  })

  it("CLIPCL_GEMM=vendored runs the addon's own GEMM and says so", { skip: nativeBuilt ? false : "native kernels not built" }, () => {
    const r = select({ CLIPCL_GEMM: "vendored" })
    assert.equal(r.name, "native")
    assert.match(r.line, /^cpu \+ native kernels \(own GEMM, \d+ threads?\)$/)
    assert.equal(r.y, 24)
  })

  it("without the addon, auto runs on wasm (it has every training kernel) with one notice naming the fix", () => {
    const r = select({ CLIPCL_NATIVE_ADDON: missing })
    assert.equal(r.ok, true)
    assert.equal(r.name, "wasm")
    assert.equal(r.tf, "wasm")
    assert.equal(r.y, 24)
    assert.match(r.notice, /^Running on the wasm backend/)
    assert.match(r.notice, /not built/)
    assert.match(r.notice, /apt-get install build-essential python3 libopenblas-dev/)
    assert.match(r.notice, /npm rebuild clipcl/)
  })

  it("without the addon, a wasm that lacks a training kernel is passed over for plain cpu, and the notice says why", () => {
    const r = select({ CLIPCL_NATIVE_ADDON: missing, DROP_WASM_KERNEL: "Softmax" })
    assert.equal(r.ok, true)
    assert.equal(r.name, "cpu")
    assert.equal(r.y, 24)
    assert.match(r.notice, /^Running on the plain JavaScript cpu backend/)
    assert.match(r.notice, /wasm backend lacks kernels clipcl needs \(Softmax\)/)
  })

  it("CLIPCL_BACKEND=cpu and an explicit name force a backend", () => {
    assert.equal(select({ CLIPCL_BACKEND: "cpu" }).name, "cpu")
    if (nativeBuilt) assert.equal(select({ CLIPCL_BACKEND: "cpu", ARG: "native" }).name, "native")
  })

  it("a forced backend that cannot run fails with BackendUnavailableError", () => {
    const r = select({ ARG: "native", CLIPCL_NATIVE_ADDON: missing })
    assert.equal(r.ok, false)
    assert.equal(r.tag, "BackendUnavailableError")
    assert.match(r.message, /backend "native" is unavailable: .*not built.*build-essential/)
    const t = select({ ARG: "tensorflow" })
    assert.equal(t.tag, "BackendUnavailableError")
    assert.match(t.message, /@tensorflow\/tfjs-node is not installed/)
    assert.match(select({ ARG: "bogus" }).message, /unknown backend; use one of auto, tensorflow-gpu/)
  })
})

// A library user's script: no initBackend, ops straight away.
const userScript = `
import { tf, initBackend } from "./src/index.ts"
if (process.env.ARG) await initBackend(process.env.ARG)
const y = tf.sum(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))).dataSync()[0]
console.log(JSON.stringify({ tf: tf.getBackend(), y }))
`

describe("the package entry's default backend", () => {
  it("is native after import { tf } from the package, with no initBackend call", { skip: nativeBuilt ? false : "native kernels not built" }, () => {
    assert.deepEqual(select({}, userScript), { tf: "native", y: 24 })
  })

  it("an explicit initBackend still wins", () => {
    assert.deepEqual(select({ ARG: "cpu" }, userScript), { tf: "cpu", y: 24 })
  })

  it("without the addon it is tfjs's cpu, and ops still run", () => {
    assert.deepEqual(select({ CLIPCL_NATIVE_ADDON: missing }, userScript), { tf: "cpu", y: 24 })
  })
})
