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
import { decodeTable } from "../../cache/codec.js"
import type { ContentHash, RunRecord } from "../../cache/CacheStore.js"
import { evalReportFromRuns } from "../../eval/report.js"
import type { ResultFormat } from "../../eval/format.js"
import { makePlan } from "../../scheduler/plan.js"
import { formatTable, latestPerStage, resultsRows } from "../results.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const resultsCommand = (cmd: Extract<Command, { _tag: "results" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { pipeline: p, dag } = yield* loadAndResolve(cmd.file, [])
    const format = (cmd.format ?? (cmd.json ? "json" : "text")) as ResultFormat
    // Pipelines with evaluate stages get the study's table (one row per method / setting) from
    // their evaluation tables; others get one row per stage from their hook.
    const report = yield* Effect.gen(function* () {
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
      runs.sort((a, b) => b.startedAt - a.startedAt) // newest first, as the report and hooks expect
      const r = yield* evalReportFromRuns(latestPerStage(runs), (h) => Effect.flatMap(cache.readArtifact(h as ContentHash), decodeTable), {
        format,
        ...(cmd.plots === undefined ? {} : { plotsDir: cmd.plots, png: true })
      })
      return { runs, r }
    }).pipe(Effect.provide(openCache(cmd.cache)))
    if (report.r !== null) {
      io.stdout(report.r.text.endsWith("\n") ? report.r.text : report.r.text + "\n")
      for (const f of report.r.plots) io.stderr(`plot: ${f}\n`)
      return 0
    }
    const runs = report.runs
    const rows = resultsRows(p, runs)
    io.stdout(cmd.json ? rows.map((r) => JSON.stringify(r) + "\n").join("") : formatTable(rows))
    return 0
  })
