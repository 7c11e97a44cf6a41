import { describe, it } from "node:test"
import assert from "node:assert/strict"
import {
  averageAccuracy,
  backwardTransfer,
  continualSummary,
  forgetting,
  forwardTransfer,
  lastAccuracy,
  mtilAvg,
  mtilLast,
  targetZeroShotSummary,
  transfer,
} from "../../src/eval/continual.js"
import { MetricInputError } from "../../src/eval/EvalError.js"

const near = (a: number | null, b: number) => {
  assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} != ${b}`)
}
const rejects = (f: () => unknown, field: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof MetricInputError && field.test(e.field))

describe("continual-learning summaries", () => {
  // 3 sessions, 4 tasks (task 3 is never learned: a held-out column).
  const acc = [
    [0.8, 0.3, 0.2, 0.1],
    [0.6, 0.9, 0.4, 0.2],
    [0.5, 0.7, 0.7, 0.3],
  ]
  const pretrained = [0.4, 0.2, 0.3, 0.1]

  it("average incremental and last accuracy", () => {
    near(averageAccuracy(acc), (0.8 + (0.6 + 0.9) / 2 + (0.5 + 0.7 + 0.7) / 3) / 3)
    near(lastAccuracy(acc), (0.5 + 0.7 + 0.7) / 3)
  })

  it("BWT and forgetting", () => {
    near(backwardTransfer(acc), (0.5 - 0.8 + (0.7 - 0.9)) / 2) // -0.25
    near(forgetting(acc), (0.8 - 0.5 + (0.9 - 0.7)) / 2) // 0.25
    // Best accuracy reached after the diagonal, not at it.
    const later = [
      [0.5, 0.1, 0.0],
      [0.6, 0.8, 0.1],
      [0.4, 0.7, 0.9],
    ]
    near(forgetting(later), (0.6 - 0.4 + (0.8 - 0.7)) / 2) // 0.15
    near(backwardTransfer(later), (0.4 - 0.5 + (0.7 - 0.8)) / 2) // -0.1
  })

  it("FWT against the pretrained row", () => {
    near(forwardTransfer(acc, pretrained), (0.3 - 0.2 + (0.4 - 0.3)) / 2)
  })

  it("ZSCL Transfer, Avg. and Last", () => {
    // Columns 1, 2, 3: means of rows above the diagonal: 0.3, (0.2 + 0.4)/2, (0.1 + 0.2 + 0.3)/3.
    near(transfer(acc), (0.3 + 0.3 + 0.2) / 3)
    near(mtilAvg(acc), (1.4 + 2.1 + 2.2) / 12)
    near(mtilLast(acc), (0.5 + 0.7 + 0.7 + 0.3) / 4)
  })

  it("summary bundles the same numbers and ignores the pretrained row elsewhere", () => {
    const a = continualSummary(acc)
    const b = continualSummary(acc, pretrained)
    assert.equal(a.fwt, null)
    near(b.fwt, 0.1)
    assert.deepEqual({ ...a, fwt: 0 }, { ...b, fwt: 0 })
    assert.equal(a.sessions, 3)
    assert.equal(a.tasks, 4)
    near(a.bwt, -0.25)
  })

  it("T = 0: one session has no BWT, forgetting or transfer", () => {
    const s = continualSummary([[0.9]], [0.5])
    assert.deepEqual(s, {
      sessions: 1,
      tasks: 1,
      averageAccuracy: 0.9,
      lastAccuracy: 0.9,
      bwt: null,
      forgetting: null,
      fwt: null,
      transfer: null,
      avg: 0.9,
      last: 0.9,
    })
  })

  it("class-incremental matrices with nothing evaluated above the diagonal", () => {
    const cil = [
      [0.9, null],
      [0.7, 0.8],
    ]
    const s = continualSummary(cil)
    assert.equal(s.transfer, null)
    near(s.bwt, -0.2)
    near(s.forgetting, 0.2)
    near(s.avg, 0.8) // column means 0.8 and 0.8
    near(s.averageAccuracy, (0.9 + 0.75) / 2)
  })

  it("rejects malformed matrices naming the entry", () => {
    rejects(() => backwardTransfer([]), /^acc$/)
    rejects(() => backwardTransfer([[0.5, NaN], [0.5, 0.5]]), /^acc\[0\]\[1\]$/)
    rejects(() => backwardTransfer([[80, 10], [70, 90]]), /^acc\[0\]\[0\]$/)
    rejects(() => backwardTransfer([[0.5, 0.1], [0.5]]), /^acc\[1\]$/)
    rejects(() => backwardTransfer([[0.5], [0.5]]), /^acc$/)
    rejects(() => backwardTransfer([[0.5, null], [null, 0.4]]), /^acc\[1\]\[0\]$/)
    rejects(() => forwardTransfer([[0.5]], [0.1, 0.2]), /^pretrained$/)
    rejects(() => forwardTransfer([[0.5]], [1.5]), /^pretrained\[0\]$/)
  })

  it("UT-Acc, ZS-Acc and their mean", () => {
    const s = targetZeroShotSummary(0.6, [0.4, 0.5, 0.6])
    near(s.zsAcc, 0.5)
    near(s.mean, 0.55)
    assert.equal(s.utAcc, 0.6)
    rejects(() => targetZeroShotSummary(0.6, []), /^zeroShotAccs$/)
    rejects(() => targetZeroShotSummary(0.6, [NaN]), /^zeroShotAccs\[0\]$/)
  })
})
