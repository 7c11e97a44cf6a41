/**
 * `clipcl results FILE`: the results of the pipeline as the file defines it
 * now. A stage whose current key is cached contributes the run that made
 * that output (also when it ran under another name, in another pipeline or
 * a sweep setting that merged with it); a stage that would run contributes
 * its latest run only if that failed (so failures stay visible: a stale
 * success would pass off old numbers as current). Runs of stages an earlier
 * version of the file had are history, not results.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import type { Command } from "../args.js"
import { openCache, type CliIO } from "../io.js"
import { loadAndResolve } from "./common.js"
import type { RunRecord } from "../../cache/CacheStore.js"
import { makePlan } from "../../scheduler/plan.js"
import { latestPerStage, pipelineResults, tableReader } from "../results.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const resultsCommand = (cmd: Extract<Command, { _tag: "results" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { pipeline: p, dag } = yield* loadAndResolve(cmd.file, [])
    const format = (cmd.format ?? (cmd.json ? "json" : "text")) as "text" | "markdown" | "csv" | "json"
    // The results hooks say what the runs mean (a study's table from its report stages, say);
    // without one, one row per stage.
    const results = yield* Effect.gen(function* () {
      const cache = yield* CacheStore
      const plan = yield* makePlan(dag)
      const latest = new Map(latestPerStage(yield* cache.runs({ pipeline: p.name })).map((r) => [r.stage, r]))
      const runs: Array<RunRecord> = []
      for (const i of plan.selected) {
        const e = plan.entries[i]!
        const made = e.hit === undefined ? undefined : Option.getOrUndefined(yield* cache.lookup(e.hit.key))
        const failed = latest.get(e.stage)
        const run = made ?? (failed?.status === "ok" ? undefined : failed)
        if (run !== undefined) runs.push({ ...run, stage: e.stage })
      }
      runs.sort((a, b) => b.startedAt - a.startedAt) // newest first, as latestPerStage expects
      const readTable = yield* tableReader
      return yield* pipelineResults(p, dag.nodes.map((n) => n.def), latestPerStage(runs), { readTable, format, plotsDir: cmd.plots })
    }).pipe(Effect.provide(openCache(cmd.cache)))
    // Rows as a table (ink's renderer, loaded only then: a report is text already).
    const rowsText = (rows: ReadonlyArray<Readonly<Record<string, unknown>>>) =>
      cmd.json || format === "json"
        ? Effect.succeed(rows.map((r) => JSON.stringify(r) + "\n").join(""))
        : Effect.map(Effect.promise(() => import("../table.js")), ({ formatTable }) => formatTable(rows))
    if (results._tag === "Report") {
      const text = results.report.text
      io.stdout(text.endsWith("\n") ? text : text + "\n")
      if (results.rows.length > 0) io.stdout(yield* rowsText(results.rows))
      for (const f of results.report.files) io.stderr(`plot: ${f}\n`)
      return 0
    }
    io.stdout(yield* rowsText(results.rows))
    return 0
  })
