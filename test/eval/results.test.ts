import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Either } from "effect"
import { EvalTableError } from "../../src/eval/EvalError.js"
import { accuracyMetrics, decodeEvalTable, decodeEvalTableSync, evalRecords, retrievalMetrics, type EvalTable } from "../../src/eval/EvalTable.js"
import { formatResults } from "../../src/eval/format.js"
import { accuracyMatrices, resultRows, resultRowsSync, sessionPoints, settingKey } from "../../src/eval/results.js"

const near = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`)

// The pretrained model, evaluated before any session.
const pretrained: EvalTable = [
  ...evalRecords({ method: "pretrained", session: -1 }, { task: "coco", role: "target" }, { top1: 0.3, top5: 0.6 }),
  ...evalRecords({ method: "pretrained", session: -1 }, { task: "cifar10", role: "zeroshot" }, { top1: 0.6 }),
  ...evalRecords({ method: "pretrained", session: -1 }, { task: "dtd", role: "zeroshot" }, { top1: 0.4 }),
]

// Fine-tuning over two sessions (s0 then s1), with held-out data sets and retrieval.
const ft: EvalTable = [0, 1].flatMap((t) => {
  const ctx = { method: "ft", setting: { lr: 1e-5 }, session: t }
  return [
    ...evalRecords(ctx, { task: "s0", role: "session", taskIndex: 0 }, { top1: [0.8, 0.6][t] }),
    ...evalRecords(ctx, { task: "s1", role: "session", taskIndex: 1 }, { top1: [0.1, 0.9][t] }),
    ...evalRecords(ctx, { task: "coco", role: "target" }, accuracyMetrics({ top1: [0.5, 0.7][t], top5: [0.8, 0.9][t] })),
    ...evalRecords(ctx, { task: "cifar10", role: "zeroshot" }, { top1: [0.5, 0.4][t] }),
    ...evalRecords(ctx, { task: "dtd", role: "zeroshot" }, { top1: [0.3, 0.2][t] }),
    ...(t === 1
      ? evalRecords(ctx, { task: "flickr", role: "retrieval" }, retrievalMetrics({
          imageToText: { 1: 0.3, 5: 0.6, 10: 0.7 },
          textToImage: { 1: 0.2, 5: 0.5, 10: 0.6 },
        }))
      : []),
  ]
})

// One-session VR-LwF sweep: alpha=1 evaluated its own initial model, alpha=0.5 did not.
const sweep: EvalTable = [
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 1 }, session: -1 }, { task: "cifar10", role: "zeroshot" }, { top1: 0.6 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 1 }, session: -1 }, { task: "dtd", role: "zeroshot" }, { top1: 0.45 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 1 }, session: 0 }, { task: "s0", role: "session", taskIndex: 0 }, { top1: 0.8 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 1 }, session: 0 }, { task: "cifar10", role: "zeroshot" }, { top1: 0.5 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 1 }, session: 0 }, { task: "dtd", role: "zeroshot" }, { top1: 0.4 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 0.5 }, session: 0 }, { task: "s0", role: "session", taskIndex: 0 }, { top1: 0.85 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 0.5 }, session: 0 }, { task: "cifar10", role: "zeroshot" }, { top1: 0.55 }),
  ...evalRecords({ method: "vr-lwf", setting: { alpha: 0.5 }, session: 0 }, { task: "dtd", role: "zeroshot" }, { top1: 0.35 }),
]

describe("resultRows", () => {
  const rows = resultRowsSync([pretrained, ft, sweep])

  it("makes one row per method and setting, in order of appearance", () => {
    assert.deepEqual(rows.map((r) => [r.method, settingKey(r.setting)]), [
      ["pretrained", "{}"],
      ["ft", '{"lr":0.00001}'],
      ["vr-lwf", '{"alpha":1}'],
      ["vr-lwf", '{"alpha":0.5}'],
    ])
  })

  it("summarises a multi-session run", () => {
    const r = rows[1]
    assert.equal(r.targetAcc, 0.7)
    assert.equal(r.targetTop5, 0.9)
    near(r.zeroShotAcc, 0.3)
    near(r.zeroShotDrop, 0.5 - 0.3)
    near(r.utZsMean, 0.5)
    near(r.retrievalR1, 0.25)
    near(r.retrievalR5, 0.55)
    near(r.retrievalR10, 0.65)
    assert.equal(r.i2tR1, 0.3)
    assert.equal(r.t2iR10, 0.6)
    near(r.bwt, -0.2)
    near(r.forgetting, 0.2)
    near(r.transfer, 0.1)
    near(r.avg, 0.6)
    near(r.last, 0.75)
    near(r.averageAccuracy, (0.8 + 0.75) / 2)
    assert.equal(r.fwt, null)
    assert.equal(r.sessions, 2)
  })

  it("the pretrained row has no drop and no continual figures", () => {
    const r = rows[0]
    assert.equal(r.targetAcc, 0.3)
    near(r.zeroShotAcc, 0.5)
    assert.equal(r.zeroShotDrop, 0)
    assert.equal(r.bwt, null)
    assert.equal(r.retrievalR1, null)
    assert.equal(r.sessions, 0)
  })

  it("prefers a group's own pre-session evaluation as the drop reference", () => {
    near(rows[2].zeroShotDrop, (0.6 + 0.45) / 2 - 0.45)
    near(rows[3].zeroShotDrop, 0.5 - 0.45)
    // One session: target falls back to the learned task, BWT does not apply.
    assert.equal(rows[3].targetAcc, 0.85)
    assert.equal(rows[3].bwt, null)
    assert.equal(rows[3].forgetting, null)
  })

  it("without a reference the drop is null, not zero", () => {
    const r = resultRowsSync(ft)
    assert.equal(r[0].zeroShotDrop, null)
    assert.equal(resultRowsSync([pretrained, ft], { pretrainedMethod: "clip" })[1].zeroShotDrop, null)
  })

  it("merges identical duplicates (setting key order ignored) and rejects contradictions", () => {
    const reordered = ft.map((r) => ({ ...r, setting: { ...r.setting } }))
    assert.equal(resultRowsSync([ft, reordered]).length, 1)
    const clash = [...ft, { ...ft[0], value: 0.1 }]
    assert.throws(() => resultRowsSync(clash), (e: unknown) => e instanceof EvalTableError && e.row === ft.length && /both 0.8 and 0.1/.test(e.message))
    const lr = resultRowsSync([
      ...evalRecords({ method: "m", setting: { a: 1, b: 2 }, session: 0 }, { task: "x", role: "target" }, { top1: 0.5 }),
      ...evalRecords({ method: "m", setting: { b: 2, a: 1 }, session: 0 }, { task: "y", role: "zeroshot" }, { top1: 0.5 }),
    ])
    assert.equal(lr.length, 1)
  })

  it("names the group when a learned task was never evaluated", () => {
    const holed = ft.filter((r) => !(r.session === 1 && r.task === "s0"))
    const res = Effect.runSync(Effect.either(resultRows(holed, { source: "pipe.ts" })))
    assert.ok(Either.isLeft(res))
    assert.equal(res.left.source, "pipe.ts")
    assert.equal(res.left.field, "acc[1][0]")
    assert.match(res.left.message, /ft \{"lr":0.00001\}/)
  })

  it("a run evaluated only after its last session has a target figure but no BWT", () => {
    const finalOnly = ft.filter((r) => r.session === 1)
    const [r] = resultRowsSync(finalOnly)
    assert.equal(r.targetAcc, 0.7)
    assert.equal(r.bwt, null)
    assert.equal(r.forgetting, null)
    assert.equal(r.sessions, 2)
  })

  it("FWT uses session -1 evaluations of the session tasks", () => {
    const withPre = [...ft, ...evalRecords({ method: "ft", setting: { lr: 1e-5 }, session: -1 }, { task: "s1", role: "session", taskIndex: 1 }, { top1: 0.05 })]
    near(resultRowsSync(withPre)[0].fwt, 0.1 - 0.05)
  })

  it("session points and matrices for the plots", () => {
    const pts = sessionPoints([pretrained, ft])
    assert.deepEqual(pts.map((p) => [p.method, p.session, p.targetAcc]), [
      ["pretrained", -1, 0.3],
      ["ft", 0, 0.5],
      ["ft", 1, 0.7],
    ])
    near(pts[2].zeroShotAcc, 0.3)
    const ms = accuracyMatrices([pretrained, ft, sweep])
    assert.deepEqual(ms.map((m) => m.method), ["ft", "vr-lwf", "vr-lwf"])
    assert.deepEqual(ms[0].tasks, ["s0", "s1"])
    assert.deepEqual(ms[0].acc, [[0.8, 0.1], [0.6, 0.9]])
  })
})

describe("decodeEvalTable", () => {
  it("accepts row objects and {columns, rows}", () => {
    assert.deepEqual(decodeEvalTableSync(JSON.parse(JSON.stringify(ft)), "ft"), ft)
    const cols = ["method", "setting", "session", "task", "role", "metric", "value"]
    const t = decodeEvalTableSync({ columns: cols, rows: [["m", {}, 0, "coco", "target", "top1", 0.5]] }, "m")
    assert.deepEqual(t, [{ method: "m", setting: {}, session: 0, task: "coco", role: "target", taskIndex: null, metric: "top1", value: 0.5 }])
  })

  it("names source, row and field of a bad row", () => {
    const bad = (u: unknown, row: number | undefined, field: string | undefined) =>
      assert.throws(
        () => decodeEvalTableSync(u, "eval#3"),
        (e: unknown) => e instanceof EvalTableError && e.source === "eval#3" && e.row === row && e.field === field && e.message.startsWith("evaluation table eval#3"),
      )
    bad([{ ...ft[0], value: 80 }], 0, "value")
    bad([ft[0], { ...ft[1], session: -2 }], 1, "session")
    bad([{ ...ft[0], role: "train" }], 0, "role")
    bad([{ ...ft[0], taskIndex: null }], 0, "taskIndex")
    bad({ columns: ["method"], rows: [["a", "b"]] }, 0, undefined)
    bad("nope", undefined, undefined)
    const r = Effect.runSync(Effect.either(decodeEvalTable([{}], "x")))
    assert.ok(Either.isLeft(r) && r.left._tag === "EvalTableError")
  })
})

describe("formatResults", () => {
  const rows = resultRowsSync([pretrained, ft, sweep])

  it("json is the array of rows with the contract's field names", () => {
    const back = JSON.parse(formatResults(rows, "json"))
    assert.equal(back.length, 4)
    for (const f of ["method", "setting", "targetAcc", "zeroShotAcc", "zeroShotDrop", "retrievalR1", "bwt", "forgetting"]) {
      assert.ok(f in back[1], f)
    }
    assert.deepEqual(back[1].setting, { lr: 1e-5 })
    assert.equal(back[0].bwt, null)
    assert.deepEqual(back, JSON.parse(JSON.stringify(rows)))
  })

  it("csv has every field, fractions, and quotes JSON settings", () => {
    const lines = formatResults(rows, "csv").trimEnd().split("\n")
    assert.equal(lines.length, 5)
    assert.ok(lines[0].startsWith("method,setting,targetAcc,zeroShotAcc,zeroShotDrop,retrievalR1,"))
    assert.ok(lines[1].startsWith("pretrained,{},0.3,"))
    assert.ok(lines[2].startsWith('ft,"{""lr"":0.00001}",0.7,'))
  })

  it("markdown shows percentages, '-' for n/a, and only useful extra columns", () => {
    const md = formatResults(rows, "markdown").trimEnd().split("\n")
    assert.equal(md.length, 6)
    assert.equal(md[0], "| Method | Setting | Target acc (%) | ZS acc (%) | ZS drop (%) | Mean (%) | R@1 (%) | R@5 (%) | R@10 (%) | BWT (%) | Forgetting (%) | Transfer (%) | Avg. (%) | Last (%) | Sessions |")
    assert.equal(md[1], "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    assert.equal(md[3], "| ft | lr=0.00001 | 70.0 | 30.0 | +20.0 | 50.0 | 25.0 | 55.0 | 65.0 | -20.0 | 20.0 | 10.0 | 60.0 | 75.0 | 2 |")
    assert.ok(md[2].startsWith("| pretrained | - | 30.0 | 50.0 | 0.0 |"))
  })

  it("text aligns columns", () => {
    const lines = formatResults(resultRowsSync(ft), "text").trimEnd().split("\n")
    assert.equal(lines.length, 3)
    assert.match(lines[0], /^Method {2}Setting {5}Target acc \(%\)/)
    assert.match(lines[1], /^-{6} {2}-{10}/)
    assert.equal(lines[0].indexOf("ZS acc"), lines[2].indexOf("30.0") - ("ZS acc (%)".length - 4))
  })
})
