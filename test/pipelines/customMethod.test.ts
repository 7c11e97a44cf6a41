// The shipped example of a method of your own (pipelines/methods/l2sp.ts): L2-SP's penalty and
// gradient against a hand derivation, and its code in the cache key of its own stages only.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"
import { tf } from "../../src/backend/tf.js"
import { finetune } from "../../src/methods/finetune.js"
import { l2sp, l2spPenalty } from "../../pipelines/methods/l2spLoss.js"
import { quickOptions, tinyClip, toySession, values } from "../methods/helpers.js"

const root = fileURLToPath(new URL("../../", import.meta.url))

test("L2-SP: alpha/2 * sum ||w - w0||^2 and its gradient alpha * (w - w0), by hand", () => {
  const w = [tf.variable(tf.tensor2d([[1, 2], [3, 4]])), tf.variable(tf.tensor1d([0.5, -1]))]
  const w0 = [tf.tensor2d([[1, 0], [1, 1]]), tf.tensor1d([0, 1])]
  // Differences: [[0, 2], [2, 3]] and [0.5, -2]; squares sum to 0+4+4+9 + 0.25+4 = 21.25.
  const alpha = 0.3
  assert.ok(Math.abs(l2spPenalty(w, w0, alpha).dataSync()[0]! - (alpha / 2) * 21.25) < 1e-6)
  const { grads } = tf.variableGrads(() => l2spPenalty(w, w0, alpha), w)
  const g = w.map((v) => values(grads[v.name]!))
  const expected = [[0, 2, 2, 3], [0.5, -2]].map((d) => d.map((x) => alpha * x))
  g.forEach((gi, i) => gi.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) < 1e-6, `grad ${i}[${j}] = ${x}, expected ${expected[i]![j]}`)))
  assert.equal(l2spPenalty(w0, w0, alpha).dataSync()[0], 0)
})

test("L2-SP as a method: a strong penalty keeps the tuned weights nearer the initial model", async () => {
  const distance = async (alpha: number) => {
    const model = tinyClip(3)
    const initial = model.clone()
    const { session, images } = toySession(0, [0, 1], 2, 4, 5)
    await finetune(model, session, l2sp(alpha), { ...quickOptions({ epochs: 2 }), part: { encoder: "all" } }, { initial })
    const d = tf.tidy(() => tf.addN([...model.params].map(([n, v]) => tf.sum(tf.square(tf.sub(v, initial.params.get(n)!))))).dataSync()[0]!)
    model.dispose()
    initial.dispose()
    images.dispose()
    return d
  }
  const free = await distance(0)
  const held = await distance(1000)
  assert.ok(free > 0 && held < free / 2, `distance to w0: alpha 0 -> ${free}, alpha 1000 -> ${held}`)
})

/** `clipcl plan FILE --json`, run as its own process (a fresh import of the pipeline): stage -> key. */
const planKeys = (file: string, cache: string): Map<string, string> => {
  const r = spawnSync(process.execPath, ["bin/clipcl.js", "plan", file, "--json", "--cache", cache], {
    cwd: root, encoding: "utf8", timeout: 300_000, env: { ...process.env, CLIPCL_FROM_SOURCE: "1" }
  })
  assert.equal(r.status, 0, r.stderr)
  const rows = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { stage?: string; key?: string })
  return new Map(rows.filter((x) => x.stage !== undefined && x.key !== undefined).map((x) => [x.stage!, x.key!]))
}

test("editing a method defined in a pipeline file changes the keys of its stages and their dependents only", () => {
  // Inside the package, so that the copy's `clipcl/...` imports resolve as the shipped pipelines' do.
  const dir = mkdtempSync(join(root, "test", "fixtures", ".custom-method-"))
  try {
    for (const f of ["custom-method.ts", "common/synthetic.ts", "methods/l2sp.ts", "methods/l2spLoss.ts"]) cpSync(join(root, "pipelines", f), join(dir, f))
    const cache = join(dir, "cache.sqlite")
    const file = join(dir, "custom-method.ts")
    const before = planKeys(file, cache)
    const loss = join(dir, "methods", "l2spLoss.ts")
    writeFileSync(loss, readFileSync(loss, "utf8").replace("tf.mul(alpha / 2,", "tf.mul(alpha / 4,"))
    const after = planKeys(file, cache)
    assert.deepEqual([...after.keys()], [...before.keys()])
    const changed = [...after].filter(([stage, key]) => before.get(stage) !== key).map(([stage]) => stage).sort()
    assert.deepEqual(changed, ["evaluate[L2-SP] session 1", "evaluate[L2-SP] session 2", "finetune[L2-SP] session 1", "finetune[L2-SP] session 2", "report"])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("a sweep over a method of your own plans like one over a built-in method: one session per setting", async () => {
  const { cli, tempDir } = await import("../engine/helpers.js")
  const { dir, cleanup } = tempDir()
  const r = await cli("plan", join(root, "test", "fixtures", "pipelines", "customMethodSweep.ts"), "--json", "--cache", join(dir, "c.sqlite")).finally(cleanup)
  assert.equal(r.code, 0, r.err)
  const keys = new Map(r.json.filter((e) => typeof e.stage === "string" && typeof e.key === "string").map((e) => [e.stage as string, e.key as string]))
  const sessions = [...keys.keys()].filter((s) => s.includes("finetune["))
  assert.equal(sessions.length, 4, sessions.join(", "))
  assert.equal(new Set(sessions.map((s) => keys.get(s))).size, 4)
})
