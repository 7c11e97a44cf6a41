import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either } from "effect"
import { decodeTable, encodeTable } from "../../src/cache/codec.js"
import { evalRecords, type EvalTable } from "../../src/eval/EvalTable.js"
import { evalReport, evalReportFromRuns, isEvalTable } from "../../src/eval/report.js"

const pre: EvalTable = evalRecords({ method: "pretrained", session: -1 }, { task: "cifar", role: "zeroshot" }, { top1: 0.6 })
const ft: EvalTable = [0, 1].flatMap((t) => [
  ...evalRecords({ method: "ft", setting: { lr: 0.001 }, session: t }, { task: "s0", role: "session", taskIndex: 0 }, { top1: [0.9, 0.7][t] }),
  ...evalRecords({ method: "ft", setting: { lr: 0.001 }, session: t }, { task: "s1", role: "session", taskIndex: 1 }, { top1: [null, 0.8][t] }),
  ...evalRecords({ method: "ft", setting: { lr: 0.001 }, session: t }, { task: "cifar", role: "zeroshot" }, { top1: [0.55, 0.5][t] }),
])

/** A table as the cache stores and returns it (`{columns, rows}`, canonical JSON). */
const viaCache = (t: EvalTable) => Effect.runSync(Effect.flatMap(encodeTable(t as ReadonlyArray<Record<string, unknown>>), decodeTable))

describe("evalReport", () => {
  it("recognises evaluation tables in both encodings and nothing else", () => {
    assert.ok(isEvalTable(ft))
    assert.ok(isEvalTable(viaCache(ft)))
    assert.ok(!isEvalTable({ columns: ["stage", "loss"], rows: [] }))
    assert.ok(!isEvalTable([{ loss: 1 }]))
    assert.ok(!isEvalTable(null))
  })

  it("reports rows from tables that went through the cache codec", async () => {
    const r = await Effect.runPromise(evalReport([{ source: "eval-pre", table: viaCache(pre) }, { source: "eval-ft", table: viaCache(ft) }], { format: "json" }))
    const rows = JSON.parse(r.text)
    assert.deepEqual(rows.map((x: { method: string }) => x.method), ["pretrained", "ft"])
    assert.deepEqual(rows[1].setting, { lr: 0.001 })
    assert.ok(Math.abs(rows[1].zeroShotDrop - 0.1) < 1e-12)
    assert.ok(Math.abs(rows[1].bwt - -0.2) < 1e-12)
    assert.equal(rows[1].forgetting, rows[1].bwt * -1)
    assert.deepEqual(r.plots, [])
  })

  it("writes plots on request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "clipcl-eval-report-"))
    try {
      const r = await Effect.runPromise(evalReport([{ source: "eval-ft", table: ft }], { plotsDir: dir }))
      assert.deepEqual((await readdir(dir)).sort(), ["heatmap-ft_lr=0.001.svg", "session-curves.svg"])
      assert.equal(r.plots.length, 2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("fails with the bad table's source, or when there is nothing to report", async () => {
    const bad = await Effect.runPromise(Effect.either(evalReport([{ source: "eval#2", table: [{ ...ft[0], value: 2 }] }])))
    assert.ok(Either.isLeft(bad) && bad.left._tag === "EvalTableError" && bad.left.source === "eval#2" && bad.left.row === 0)
    const none = await Effect.runPromise(Effect.either(evalReport([])))
    assert.ok(Either.isLeft(none) && /no evaluation tables/.test(none.left.message))
  })

  it("from run records: reads ok table outputs, keeps evaluation tables, or yields null", async () => {
    const store: Record<string, unknown> = { h1: viaCache(pre), h2: { columns: ["loss"], rows: [[0.1]] }, h3: viaCache(ft), h4: viaCache(ft) }
    const read = (hash: string) => (hash in store ? Effect.succeed(store[hash]) : Effect.fail(`missing ${hash}`))
    const runs = [
      { stage: "eval-pre", status: "ok", outputKind: "table", output: "h1" },
      { stage: "train", status: "ok", outputKind: "checkpoint", output: "hx" },
      { stage: "losses", status: "ok", outputKind: "table", output: "h2" },
      { stage: "eval-ft", status: "ok", outputKind: "table", output: "h3" },
      { stage: "eval-old", status: "failed", outputKind: "table", output: "h4" },
    ]
    const r = await Effect.runPromise(evalReportFromRuns(runs, read, { format: "csv" }))
    assert.ok(r !== null)
    assert.deepEqual(r.rows.map((x) => x.method), ["pretrained", "ft"])
    assert.ok(r.text.startsWith("method,setting,targetAcc,"))
    assert.equal(await Effect.runPromise(evalReportFromRuns(runs.slice(1, 3), read)), null)
    const missing = await Effect.runPromise(Effect.either(evalReportFromRuns([{ ...runs[0], output: "nope" }], read)))
    assert.ok(Either.isLeft(missing) && missing.left === "missing nope")
  })
})
