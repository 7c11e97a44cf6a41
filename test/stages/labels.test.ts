// Row labels (method, setting) are the report's parameters, not part of what a stage computes:
// renaming a row re-runs the report only, and the results carry the new name.
import assert from "node:assert/strict"
import { test } from "node:test"
import { join } from "node:path"
import { cli, finals, fixture, tempDir } from "../engine/helpers.js"

const withEnv = async <A>(env: Record<string, string>, f: () => Promise<A>): Promise<A> => {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    return await f()
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
}

test("renaming a method or a setting re-runs only the report", async () => {
  const { dir, cleanup } = tempDir()
  try {
    const cache = join(dir, "cache.sqlite")
    const run = (label: string, setting: string) =>
      withEnv({ CLIPCL_TEST_LABEL: label, CLIPCL_TEST_SETTING: setting }, () => cli("run", fixture("labels.ts"), "--json", "--cache", cache))
    const first = await run("FT", "a")
    assert.equal(first.code, 0, first.err + first.out.slice(-2000))
    const f1 = finals(first.json)
    assert.deepEqual(Object.values(f1).filter((s) => s !== "ran"), [], JSON.stringify(f1))

    const renamed = await run("fine-tuning", "b")
    assert.equal(renamed.code, 0, renamed.err)
    const f2 = finals(renamed.json)
    const ran = Object.entries(f2).filter(([, s]) => s === "ran").map(([k]) => k)
    assert.deepEqual(ran, ["report"], JSON.stringify(f2))
    assert.ok(Object.keys(f2).includes("evaluate[fine-tuning] session 1"), JSON.stringify(f2))

    const results = await withEnv({ CLIPCL_TEST_LABEL: "fine-tuning", CLIPCL_TEST_SETTING: "b" }, () =>
      cli("results", fixture("labels.ts"), "--format", "json", "--cache", cache))
    assert.equal(results.code, 0, results.err)
    const rows = JSON.parse(results.out) as Array<{ method: string; setting: Record<string, unknown> }>
    assert.deepEqual(rows.map((r) => [r.method, r.setting]), [["pretrained", {}], ["fine-tuning", { run: "b" }]])
  } finally {
    cleanup()
  }
})
