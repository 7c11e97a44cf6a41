// `plan` shows expected durations from earlier runs and the expected wall time at --jobs N, only
// with history, saying how they were made; the run's plan event carries the same estimates.
import assert from "node:assert/strict"
import { join } from "node:path"
import { after, it } from "node:test"
import { cli, fixture, tempDir } from "../engine/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
const SWEEP = fixture("sweep.ts")

it("no history, no estimate; after a run, estimates by params, settings and shape, and a wall time", async () => {
  const cache = join(tmp.dir, "c", "cache.sqlite")
  const fresh = await cli("plan", SWEEP, "--cache", cache)
  assert.equal(fresh.code, 0, fresh.err)
  assert.doesNotMatch(fresh.out, /expected|~\d/)
  assert.ok((await cli("plan", SWEEP, "--json", "--cache", cache)).json.every((e) => e.expectedMs === undefined && e.estimate === undefined))

  assert.equal((await cli("run", SWEEP, "--json", "--cache", cache)).code, 0)
  const took = async (stage: string) => {
    const r = (await cli("logs", stage, "--json", "--cache", cache)).json[0]
    return r.endedAt - r.startedAt
  }
  // A new dim for the embedding: no run with these params, two with the same settings (numbers free).
  const p = await cli("plan", SWEEP, "--json", "--cache", cache, "--set", "embed.dim=7")
  const emb = p.json.find((e) => e.stage === "embedVocabulary")
  assert.deepEqual(emb.estimate, { basis: "same settings", runs: 2 })
  assert.equal(emb.expectedMs, ((await took("embedVocabulary[vocabulary=pool]")) + (await took("embedVocabulary[vocabulary=words]"))) / 2)
  // Cached stages need no estimate.
  assert.equal(p.json.find((e) => e.stage === "reference").estimate, undefined)

  // Forced: the same params (square k=1) ran once.
  const f = await cli("plan", SWEEP, "--json", "--cache", cache, "--force", "baseline[part=all]")
  const base = f.json.find((e) => e.stage === "baseline[part=all]")
  assert.deepEqual(base.estimate, { basis: "same params", runs: 1 })
  assert.equal(base.expectedMs, await took("baseline[part=all]"))
  // `total`'s empty params: 9 runs (reference and the 8 totals), the latest 5 count.
  assert.deepEqual(f.json.find((e) => e.stage === "total[alpha=1,vocabulary=pool,part=all]").estimate, { basis: "same params", runs: 5 })

  const text = await cli("plan", SWEEP, "--cache", cache, "--force", "baseline", "--jobs", "2")
  assert.match(text.out, /\n   ○ baseline\[part=all\] +run +\w{8}  ~\d+ms/)
  assert.match(text.out, /\nexpected: ~\d+ms at --jobs 2 \(all stages to run one after another: ~\d+ms; critical path ~\d+ms: baseline\[part=\w+\] → train\[[^\]]+\]( → total\[[^\]]+\])?\)\n  estimated for 18 of 18 stages to run \(18 same params\): the median of the latest 5 successful runs/)

  // The run's plan event carries the same estimates (the live view's ETA uses them).
  const r = await cli("run", SWEEP, "--json", "--cache", cache, "--force", "baseline[part=all]", "--jobs", "3")
  const planned = r.json[0]
  assert.equal(planned.jobs, 3)
  const ref = planned.stages.find((s: any) => s.stage === "baseline[part=all]")
  assert.equal(ref.expectedMs, base.expectedMs)
  assert.deepEqual(ref.estimate, { basis: "same params", runs: 1 })
})
