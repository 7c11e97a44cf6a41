import { strict as assert } from "node:assert"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, it } from "node:test"
import { formatResults } from "../../src/eval/format.js"
import type { ResultRow } from "../../src/eval/results.js"
import { bar, clock, metricsText, rateText, shortDuration, stripAnsi, truncate } from "../../src/ui/format.js"
import { makePlainLines } from "../../src/ui/plainLogger.js"
import { renderPlan, renderTable, resultsTable, tableFromMarkdown, tableFromRecords } from "../../src/ui/render.js"
import { midRun, planned, progress, st } from "./events.js"

const ESC = "\u001b"

describe("ui format helpers", () => {
  it("durations, clocks, rates and metrics", () => {
    assert.deepEqual([45, 300, 1234, 12_400, 125_000, 3_720_000].map(shortDuration), ["45ms", "300ms", "1.2s", "12s", "2m05s", "1h02m"])
    assert.deepEqual([0, 4_000, 750_000, 3_723_000].map(clock), ["0:00", "0:04", "12:30", "1:02:03"])
    assert.equal(clock(Number.NaN), "?")
    assert.equal(rateText(12.345), "12.3/s")
    assert.equal(rateText(250), "250/s")
    assert.equal(rateText(0.25), "4.0s/it")
    assert.equal(metricsText({ zeta: 1, accuracy: 0.91234, loss: 0.5 }), "loss 0.5000 · accuracy 0.9123 · zeta 1")
  })

  it("bars have exactly the width asked for", () => {
    for (const f of [0, 0.01, 0.33, 0.5, 0.999, 1, 2, -1, Number.NaN]) {
      for (const w of [1, 7, 20, 40]) {
        const b = bar(f, w)
        assert.equal([...(b.filled + b.empty)].length, w, `${f} ${w}`)
      }
    }
    assert.deepEqual(bar(0.5, 4), { filled: "██", empty: "░░" })
    assert.deepEqual(bar(0.25, 2), { filled: "▌", empty: "░" })
    assert.deepEqual(bar(1 / 16, 2), { filled: "▏", empty: "░" })
  })

  it("truncates with an ellipsis and strips escape codes", () => {
    assert.equal(truncate("features[dim=16]", 8), "feature…")
    assert.equal(truncate("abc", 3), "abc")
    assert.equal(stripAnsi("\u001b[31mred\u001b[39m \u001b[2K\u001b[1A\u001b]8;;http://x\u0007link\u001b]8;;\u0007"), "red link")
  })
})

describe("ui plain lines (not a terminal)", () => {
  it("one line per state change, the cause and where the log is under a failure, no escape codes", () => {
    let out = ""
    const write = makePlainLines((t) => (out += t), { progressEveryMs: 5000, afterSummary: () => renderTable([{ method: "FT", acc: 0.5 }]) })
    const events = [
      ...midRun,
      progress("train", 5, 10, 1400),
      progress("train", 10, 10, 1500),
      st("train", "ran", 1600, { durationMs: 1500 }),
      st("boom", "failed", 1700, { durationMs: 5, error: { message: "\u001b[31mboom went off\u001b[39m", cause: "Error: boom\n    at x", logPath: "cache/logs/boom.log" } }),
      st("features[dim=4]", "interrupted", 1800),
      { type: "summary" as const, ran: 2, cached: 1, failed: 2, interruptedStages: 1, skipped: 2, durationMs: 1800, savedMs: 20, interrupted: true, time: 1800 }
    ]
    for (const e of events) write(e)
    assert.ok(!out.includes(ESC), JSON.stringify(out))
    const lines = out.trimEnd().split("\n")
    assert.equal(lines[0], "plan example-toy: 7 stages, 6 to run, 1 cached (backend native)")
    assert.ok(lines.includes("[cached]  numbers"))
    assert.ok(lines.includes("[start]   train"))
    assert.ok(lines.includes("[FAILED]  features[dim=16]: tensor x has shape [2,3], expected [2,4]"))
    const i = lines.indexOf("[FAILED]  features[dim=16]: tensor x has shape [2,3], expected [2,4]")
    assert.equal(lines[i + 1], "          cause: ShapeError: rank mismatch")
    assert.equal(lines[i + 2], "          log: clipcl logs features[dim=16]")
    const j = lines.indexOf("[FAILED]  boom: boom went off")
    assert.deepEqual(lines.slice(j + 1, j + 3), ["          cause: Error: boom", "          log: cache/logs/boom.log"])
    // An interrupted stage is its own status (no "FAILED", no cause/log lines).
    const k = lines.indexOf("[interrupted] features[dim=4] (after 0ms)")
    assert.ok(k > 0, out)
    assert.ok(!lines[k + 1]!.startsWith("          "))
    assert.ok(!lines.some((l) => l.startsWith("[FAILED]  features[dim=4]")))
    // Progress: throttled per stage, the last step always shown.
    assert.deepEqual(lines.filter((l) => l.startsWith("[progress] train")), ["[progress] train 1/10 loss=1.250 accuracy=0.5000", "[progress] train 10/10"])
    assert.match(out, /interrupted: 2 ran, 1 cached, 2 failed, 1 interrupted, 2 skipped in 1\.8s \(cache saved 20ms\)\nmethod     acc\n──────  ──────\nFT      0\.5000\n$/)
  })
})

describe("ui plain lines: clipcl run into a pipe", () => {
  it("prints plain lines without escape codes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clipcl-ui-pipe-"))
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, CLIPCL_UI_TRAIN_MS: "200", FORCE_COLOR: "1" }
      delete env["CI"]
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["bin/clipcl.js", "run", "test/fixtures/ui/toy.ts", "--cache", join(dir, "c.sqlite")], { env }, (err, stdout) =>
          err ? reject(err) : resolve(stdout)
        )
      )
      assert.ok(!out.includes(ESC), JSON.stringify(out))
      assert.match(out, /^plan ui-toy: 4 stages, 4 to run, 0 cached( \(backend .*\))?\n/)
      assert.match(out, /\[ran\]     train\[lr=0\.1\] \(/)
      assert.match(out, /\[progress\] train\[lr=0\.05\] 20\/20 /)
      assert.match(out, /done: 4 ran, 0 cached, 0 failed, 0 skipped in /)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("ui string renderers", () => {
  it("renderPlan groups stages with the live view's symbols and reasons", () => {
    const text = renderPlan(planned, { width: 80 })
    assert.ok(!text.includes(ESC))
    assert.equal(
      text,
      [
        "▾ common (3)",
        "   ◆ numbers          cached aaaa1111",
        "   ○ square           run    cccc2222  params changed: k",
        "   ○ train            run    eeee3333  never ran",
        "▾ dim=4 (2)",
        "   ○ features[dim=4]  run    f4        never ran",
        "   ○ summary[dim=4]   run    s4        never ran",
        "▾ dim=16 (2)",
        "   ○ features[dim=16] run    f16       never ran",
        "   ○ summary[dim=16]  run    s16       never ran",
        "7 stages: 6 to run, 1 cached",
        ""
      ].join("\n")
    )
  })

  it("renderTable aligns numbers right and fits the width", () => {
    const rows = [
      { stage: "train[lr=0.1]", status: "ok", ms: 1234, note: "a long free-text note that will not fit in forty columns" },
      { stage: "eval", status: "ok", ms: 5, note: "short" }
    ]
    const text = renderTable(rows, { width: 40 })
    const lines = text.trimEnd().split("\n")
    assert.equal(lines[0], "stage          status    ms  note")
    assert.match(lines[2]!, /^train\[lr=0\.1\]  ok      1234  a long fre…$/)
    assert.match(lines[3]!, /^eval           ok         5  short$/)
    for (const l of lines) assert.ok(l.length <= 40, l)
    assert.equal(renderTable([]), "(no rows)\n")
    assert.deepEqual(tableFromRecords([{ a: 1, b: "x" }, { a: null, c: 2.5 }]).numeric, [true, false, true])
  })

  it("draws the evaluation area's result rows from its markdown", () => {
    const empty = {
      targetAcc: null, zeroShotAcc: null, zeroShotDrop: null, retrievalR1: null, retrievalR5: null, retrievalR10: null,
      bwt: null, forgetting: null, utZsMean: null, targetTop5: null, i2tR1: null, i2tR5: null, i2tR10: null,
      t2iR1: null, t2iR5: null, t2iR10: null, fwt: null, transfer: null, averageAccuracy: null, lastAccuracy: null,
      avg: null, last: null, sessions: 1
    }
    const rows: Array<ResultRow> = [
      { ...empty, method: "FT", setting: {}, targetAcc: 0.912, zeroShotAcc: 0.402, zeroShotDrop: -0.21 },
      { ...empty, method: "VR-LwF | ours", setting: {}, targetAcc: 0.88, zeroShotAcc: 0.6, zeroShotDrop: -0.012 }
    ]
    const table = tableFromMarkdown(formatResults(rows, "markdown"))
    assert.equal(table.header[0], "Method")
    assert.equal(table.header[1], "Target acc (%)")
    assert.deepEqual(table.rows[1]!.slice(0, 4), ["VR-LwF | ours", "88.0", "60.0", "-1.2"])
    assert.equal(table.numeric[0], false)
    assert.equal(table.numeric[1], true)
    const text = renderTable(table, { width: 100 })
    assert.match(text, /^Method\s+Target acc \(%\)\s+ZS acc \(%\)/)
    assert.match(text, /\nFT\s+91\.2\s+40\.2\s+-21\.0/)
    assert.deepEqual(resultsTable([{ stage: "a", ms: 3 }])?.header, ["stage", "ms"])
    assert.equal(resultsTable([]), undefined)
  })

  it("renderPlan marks provisional keys", () => {
    const text = renderPlan([{ ...planned[0]!, action: "run", provisional: true }], { width: 80 })
    assert.match(text, /○ numbers run    aaaa1111\*\n/)
    assert.match(text, /1 stage: 1 to run, 0 cached \(\* provisional key: an input will be recomputed\)/)
  })
})
