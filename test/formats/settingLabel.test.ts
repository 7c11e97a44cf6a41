// One label for a sweep setting: the one in stage instance names, which
// result tables and plot legends now show too.
import { test } from "node:test"
import assert from "node:assert/strict"
import { settingLabel } from "../../src/formats/settingLabel.js"
import { settingLabel as sweepLabel } from "../../src/dsl/Sweep.js"
import { settingLabel as evalLabel } from "../../src/eval/index.js"
import { evalRecords } from "../../src/eval/EvalTable.js"
import { formatResults } from "../../src/eval/format.js"
import { resultRowsSync } from "../../src/eval/results.js"

test("k=v pairs in the setting's key order, joined by commas", () => {
  assert.equal(settingLabel({ alpha: 0.5, vocab: 10 }), "alpha=0.5,vocab=10")
  assert.equal(settingLabel({ vocab: 10, alpha: 0.5 }), "vocab=10,alpha=0.5")
  assert.equal(settingLabel({}), "")
  assert.equal(
    settingLabel({ s: "x y", b: true, n: null, o: { a: 1 }, arr: [1, "2"], big: 1e21, small: 1e-7, neg: -0 }),
    's=x y,b=true,n=null,o={"a":1},arr=[1,"2"],big=1e+21,small=1e-7,neg=0'
  )
  assert.equal(sweepLabel, settingLabel)
  assert.equal(evalLabel, settingLabel)
})

test("result tables show the same label; '-' for a run without a setting", () => {
  const rows = resultRowsSync([
    ...evalRecords({ method: "pretrained", session: -1 }, { task: "coco", role: "target" }, { top1: 0.3 }),
    ...evalRecords({ method: "vr-lwf", setting: { alpha: 0.5, vocab: 10 }, session: 0 }, { task: "coco", role: "target" }, { top1: 0.5 })
  ])
  const md = formatResults(rows, "markdown").trimEnd().split("\n")
  assert.ok(md[2]!.startsWith("| pretrained | - | 30.0 |"), md[2])
  assert.ok(md[3]!.startsWith("| vr-lwf | alpha=0.5,vocab=10 | 50.0 |"), md[3])
})
