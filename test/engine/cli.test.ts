// The CLI in-process: --json shapes, plan/why/dag, exit codes, invalid pipelines,
// cache maintenance (verify detects tampering, gc, export/import), logs and results.
import assert from "node:assert/strict"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { after, test } from "node:test"
import Database from "better-sqlite3"
import { cli, finals, fixture, tempDir } from "./helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let n = 0
const freshCache = () => join(tmp.dir, `c${++n}`, "cache.sqlite")

const HEX64 = /^[0-9a-f]{64}$/

test("run --json: a stage event with a final status for every instance, then a summary", async () => {
  const cache = freshCache()
  const a = await cli("run", fixture("ok.ts"), "--json", "--cache", cache)
  assert.equal(a.code, 0, a.err)
  const stages = ["numbers", "square", "total", "embed", "norms"]
  assert.deepEqual(finals(a.json), Object.fromEntries(stages.map((s) => [s, "ran"])))
  for (const e of a.json.filter((e) => e.type === "stage")) {
    assert.equal(typeof e.stage, "string")
    assert.match(e.key, HEX64)
  }
  assert.deepEqual(a.json.at(-1), { ...a.json.at(-1), type: "summary", ran: 5, cached: 0, failed: 0, skipped: 0 })
  const b = await cli("run", fixture("ok.ts"), "--json", "--cache", cache)
  assert.equal(b.code, 0)
  assert.deepEqual(finals(b.json), Object.fromEntries(stages.map((s) => [s, "cached"])))
  assert.equal(b.json.at(-1).cached, 5)
  // plain output has no escape codes
  const c = await cli("run", fixture("ok.ts"), "--no-tui", "--cache", cache)
  assert.equal(c.code, 0)
  assert.doesNotMatch(c.out, /\x1b/)
  assert.match(c.out, /\[cached\]\s+norms/)
  assert.match(c.out, /0 ran, 5 cached, 0 failed, 0 skipped/)
})

test("plan --json: one object per instance with stage, key, action and reasons", async () => {
  const cache = freshCache()
  const before = await cli("plan", fixture("ok.ts"), "--json", "--cache", cache)
  assert.equal(before.code, 0, before.err)
  assert.equal(before.json.length, 5)
  for (const e of before.json) {
    assert.deepEqual(Object.keys(e).filter((k) => k !== "provisional").sort(), ["action", "key", "reasons", "stage"])
    assert.match(e.key, HEX64)
    assert.equal(e.action, "run")
  }
  assert.deepEqual(before.json.find((e) => e.stage === "numbers").reasons, ["never ran"])
  assert.ok(before.json.find((e) => e.stage === "square").reasons.some((r: string) => /depends on changed input/.test(r)))
  await cli("run", fixture("ok.ts"), "--json", "--cache", cache)
  const cached = await cli("plan", fixture("ok.ts"), "--json", "--cache", cache)
  assert.deepEqual(cached.json.map((e) => e.action), ["cached", "cached", "cached", "cached", "cached"])
  const changed = await cli("plan", fixture("ok.ts"), "--json", "--cache", cache, "--set", "square.k=3")
  const sq = changed.json.find((e) => e.stage === "square")
  assert.equal(sq.action, "run")
  assert.deepEqual(sq.reasons, ["param k changed: 2 -> 3"])
  assert.equal(changed.json.find((e) => e.stage === "embed").action, "cached")
  const why = await cli("why", fixture("ok.ts"), "total", "--cache", cache, "--set", "square.k=3")
  assert.equal(why.code, 0)
  assert.match(why.out, /depends on changed input: 'square' will run/)
  assert.match(why.out, /input xs <- square \(run\)/)
})

test("dag prints text and Mermaid without touching a cache", async () => {
  const text = await cli("dag", fixture("ok.ts"))
  assert.equal(text.code, 0)
  assert.match(text.out, /total \(total, value\)\n    xs <- square/)
  const m = await cli("dag", fixture("ok.ts"), "--mermaid")
  assert.match(m.out, /^graph TD\n/)
  assert.match(m.out, /n1 -->\|xs\| n2/)
})

for (const [file, stage, field] of [
  ["cycle.ts", "a", /dependency cycle: ('a' -> 'b' -> 'a'|'b' -> 'a' -> 'b')/],
  ["missing.ts", "sq", /input 'xs': refers to stage 'nmbers', which does not exist/],
  ["duplicate.ts", "twice", /stage name 'twice' is used by more than one instance/],
  ["schema.ts", "nums", /param 'n': Expected number, actual "three"/]
] as const) {
  test(`invalid pipeline ${file}: exit 2, names file, stage and field, writes nothing`, async () => {
    const cache = freshCache()
    for (const cmd of ["run", "plan"]) {
      const r = await cli(cmd, fixture(file), "--json", "--cache", cache)
      assert.equal(r.code, 2)
      assert.equal(r.out, "")
      assert.ok(r.err.includes(fixture(file)), r.err)
      assert.ok(r.err.includes(`'${stage}'`), r.err)
      assert.match(r.err, field)
    }
    assert.equal(existsSync(cache), false)
  })
}

test("bad arguments exit 2 and write nothing", async () => {
  const cache = freshCache()
  assert.equal((await cli("run", fixture("ok.ts"), "--bogus", "--cache", cache)).code, 2)
  assert.equal((await cli("run", fixture("ok.ts"), "--set", "nodot", "--cache", cache)).code, 2)
  const f = await cli("run", fixture("ok.ts"), "--force", "nosuch", "--cache", cache)
  assert.equal(f.code, 2)
  assert.match(f.err, /--force nosuch: no stage kind, stage name or instance named 'nosuch'\n  stage kinds \(every instance\): numbers, square, total, embed, norms/)
  assert.equal((await cli("run", fixture("nope.ts"), "--cache", cache)).code, 2)
  assert.equal((await cli("frobnicate")).code, 2)
  assert.equal((await cli("cache", "gc", "--max-size", "lots", "--cache", cache)).code, 2)
  assert.equal(existsSync(cache), false)
})

test("a failing stage: exit 1, dependents skipped, logs shows the error, results lists the runs", async () => {
  const cache = freshCache()
  const r = await cli("run", fixture("fail.ts"), "--json", "--cache", cache)
  assert.equal(r.code, 1)
  assert.deepEqual(finals(r.json), { boom: "failed", numbers: "ran", total: "ran" })
  assert.equal(r.json.at(-1).failed, 1)
  const logs = await cli("logs", "boom", "--cache", cache)
  assert.equal(logs.code, 0)
  assert.match(logs.out, /failed/)
  assert.match(logs.out, /error: boom went off/)
  const res = await cli("results", fixture("fail.ts"), "--json", "--cache", cache)
  assert.equal(res.code, 0)
  assert.deepEqual(res.json.map((row) => [row.stage, row.status]).sort(), [["boom", "failed"], ["numbers", "ok"], ["total", "ok"]])
})

test("results shows the stages the pipeline has now, not runs of stages an earlier version had", async () => {
  const cache = freshCache()
  const at = async (version: string) => {
    process.env.RENAMED_VERSION = version
    try {
      assert.equal((await cli("run", fixture("renamed.ts"), "--json", "--cache", cache)).code, 0)
      const res = await cli("results", fixture("renamed.ts"), "--json", "--cache", cache)
      assert.equal(res.code, 0)
      return res.json.map((row) => row.stage).sort()
    } finally {
      delete process.env.RENAMED_VERSION
    }
  }
  assert.deepEqual(await at("1"), ["numbers-v1", "total"])
  assert.deepEqual(await at("2"), ["numbers-v2", "total"])
})

test("cache verify detects a tampered blob; gc keeps what the last run uses; export/import round-trips", async () => {
  const cache = freshCache()
  assert.equal((await cli("run", fixture("ok.ts"), "--json", "--cache", cache)).code, 0)
  const v = await cli("cache", "verify", "--cache", cache)
  assert.equal(v.code, 0, v.out + v.err)
  assert.match(v.out, /checked 5 artifacts/)

  // export, then import into an empty cache: everything is a hit there
  const file = join(tmp.dir, "export.sqlite")
  const ex = await cli("cache", "export", file, "--cache", cache)
  assert.equal(ex.code, 0, ex.err)
  const other = freshCache()
  const im = await cli("cache", "import", file, "--cache", other)
  assert.equal(im.code, 0, im.err)
  assert.match(im.out, /imported 5 artifacts/)
  const rerun = await cli("run", fixture("ok.ts"), "--json", "--cache", other)
  assert.equal(rerun.json.at(-1).cached, 5)

  // a new parameter: the old outputs of square/total are no longer used by the last run
  assert.equal((await cli("run", fixture("ok.ts"), "--json", "--cache", cache, "--set", "square.k=3")).code, 0)
  const gc = await cli("cache", "gc", "--max-size", "0", "--json", "--cache", cache)
  assert.equal(gc.code, 0, gc.err)
  assert.equal(gc.json[0].evicted.length, 2)
  const plan = await cli("plan", fixture("ok.ts"), "--json", "--cache", cache)
  assert.deepEqual(plan.json.map((e) => [e.stage, e.action]), [["numbers", "cached"], ["square", "run"], ["total", "run"], ["embed", "cached"], ["norms", "cached"]])
  const all = await cli("cache", "gc", "--max-size", "0", "--all", "--json", "--cache", cache)
  assert.equal(all.json[0].evicted.length, 5)

  // tamper with a stored chunk of the imported cache
  const db = new Database(other)
  const row = db.prepare("SELECT hash, blob FROM artifacts ORDER BY hash LIMIT 1").get() as { hash: string; blob: number }
  db.prepare("UPDATE chunks SET data = ? WHERE blob = ? AND idx = 0").run(Buffer.from("tampered"), row.blob)
  db.close()
  const bad = await cli("cache", "verify", "--cache", other)
  assert.equal(bad.code, 1)
  assert.ok(bad.out.includes(`CORRUPT ${row.hash}`), bad.out)
})
