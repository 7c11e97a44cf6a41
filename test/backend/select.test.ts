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
try {
  const info = await initBackend(process.env.ARG || undefined)
  const y = tf.sum(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))).dataSync()[0]
  console.log(JSON.stringify({ ok: true, name: info.name, tf: tf.getBackend(), notice: info.notice ?? null, line: describeBackend(), y }))
} catch (e) {
  console.log(JSON.stringify({ ok: false, tag: e._tag, message: e.message }))
}
`

const select = (env: Record<string, string>): any => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: join(dirname(fileURLToPath(import.meta.url)), "..", ".."),
    env: { ...process.env, CLIPCL_BACKEND: "", ARG: "", ...env },
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
    assert.match(r.line, /^cpu \+ native kernels \(OpenBLAS.*\d+ threads?\)$/)
    assert.equal(r.y, 24)
  })

  it("without the addon, auto runs on plain cpu with one notice naming the fix", () => {
    const r = select({ CLIPCL_NATIVE_ADDON: missing })
    assert.equal(r.ok, true)
    assert.equal(r.name, "cpu")
    assert.equal(r.y, 24)
    assert.match(r.notice, /not built/)
    assert.match(r.notice, /apt-get install libopenblas-dev/)
    assert.match(r.notice, /npm rebuild clipcl/)
  })

  it("CLIPCL_BACKEND=cpu and an explicit name force a backend", () => {
    assert.equal(select({ CLIPCL_BACKEND: "cpu" }).name, "cpu")
    if (nativeBuilt) assert.equal(select({ CLIPCL_BACKEND: "cpu", ARG: "native" }).name, "native")
  })

  it("a forced backend that cannot run fails with BackendUnavailableError", () => {
    const r = select({ ARG: "native", CLIPCL_NATIVE_ADDON: missing })
    assert.equal(r.ok, false)
    assert.equal(r.tag, "BackendUnavailableError")
    assert.match(r.message, /backend "native" is unavailable: .*not built.*libopenblas-dev/)
    const t = select({ ARG: "tensorflow" })
    assert.equal(t.tag, "BackendUnavailableError")
    assert.match(t.message, /@tensorflow\/tfjs-node is not installed/)
    assert.match(select({ ARG: "bogus" }).message, /unknown backend; use one of auto, tensorflow-gpu/)
  })
})
