// `clipcl results`: the results hooks, and the text fallback (the shared table renderer of src/ui,
// not a format of its own).
import assert from "node:assert/strict"
import { test } from "node:test"
import { Effect, Schema } from "effect"
import { pipelineResults } from "../../src/cli/results.js"
import { formatTable } from "../../src/cli/table.js"
import { pipeline, stage, value, type ResultsContext, type RunSummary } from "../../src/dsl/index.js"
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

// Results hooks: the engine prints what they return and knows nothing of what the results mean.

const run = (stage: string, stageKind: string, output: string | null = `h-${stage}`): RunSummary => ({
  stage, stageKind, params: { k: 1 }, status: "ok", output, metrics: null, startedAt: 0, endedAt: 5
})
const runs = [run("a", "plain"), run("s1", "summary"), run("s2", "summary")]
const context: ResultsContext = { readTable: async (r) => [{ from: r.output }], format: "markdown", plotsDir: undefined }
const plain = stage({ name: "plain", version: 1, output: value<number>(), run: () => 1 })
const summary = stage({
  name: "summary", version: 1, params: Schema.Struct({}), output: value<number>(), run: () => 1,
  // Sees its own kind's runs only, reads their outputs, renders in the format asked for.
  results: async (rs, { readTable, format }) => ({
    text: `${format}: ${(await Promise.all(rs.map(async (r) => JSON.stringify(await readTable(r))))).join(" ")}`,
    files: rs.map((r) => `${r.stage}.svg`)
  })
})

test("a stage kind's results hook shows its runs; without hooks, one row per stage", async () => {
  const p = pipeline("p", () => {})
  const r = await Effect.runPromise(pipelineResults(p, [plain, summary, summary], runs, context))
  assert.deepEqual(r, { _tag: "Report", report: { text: 'markdown: [{"from":"h-s1"}] [{"from":"h-s2"}]\n', files: ["s1.svg", "s2.svg"] }, rows: [] })
  const none = await Effect.runPromise(pipelineResults(p, [plain], runs, context))
  assert.equal(none._tag, "Rows")
  assert.deepEqual(none._tag === "Rows" && [none.fromHook, none.rows.map((row) => [row["stage"], row["kind"], row["ms"], row["param.k"]])], [
    false,
    [["a", "plain", 5, 1], ["s1", "summary", 5, 1], ["s2", "summary", 5, 1]]
  ])
})

test("a pipeline's own results hook wins over the stage kinds'; a hook's failure passes through", async () => {
  const own = pipeline("p", () => {}, { results: (rs) => rs.map((r) => ({ name: r.stage })) })
  const r = await Effect.runPromise(pipelineResults(own, [plain, summary], runs, context))
  assert.deepEqual(r, { _tag: "Rows", rows: [{ name: "a" }, { name: "s1" }, { name: "s2" }], fromHook: true })
  const failing = pipeline("p", () => {}, { results: () => Effect.fail({ _tag: "Bad" }) })
  const exit = await Effect.runPromiseExit(pipelineResults(failing, [], runs, context))
  assert.ok(exit._tag === "Failure" && JSON.stringify(exit.cause).includes('"Bad"'))
})
