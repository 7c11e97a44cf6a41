// `clipcl results` text fallback: the shared table renderer of src/ui, not a format of its own.
import assert from "node:assert/strict"
import { test } from "node:test"
import { formatTable } from "../../src/cli/results.js"
import { renderTable, resultsTable } from "../../src/ui/render.js"

test("results rows are drawn by the shared table renderer (numbers right-aligned, no width cut)", () => {
  const rows = [
    { stage: "numbers", status: "ok", ms: 3, "metric.loss": 0.5 },
    { stage: "square[k=2]-with-a-long-name-that-would-not-fit-in-80-columns-of-a-terminal-at-all", status: "failed", ms: 1234, "metric.loss": 0.123456 }
  ]
  const text = formatTable(rows)
  assert.equal(text, renderTable(resultsTable(rows)!, { width: 1000 }))
  const lines = text.trimEnd().split("\n")
  assert.match(lines[0]!, /^stage\s+status\s+ms\s+metric\.loss$/)
  assert.match(lines[1]!, /^─+/)
  assert.ok(lines[3]!.includes("at-all"), "long cells are not cut")
  assert.match(lines[2]!, /\s3\s+0\.5000$/, "numbers right-aligned")
  assert.equal(formatTable([]), "(no runs)\n")
})
