/**
 * `clipcl results FILE`: the pipeline's latest runs through its results hook.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import type { Command } from "../args.js"
import { openCache, type CliIO } from "../io.js"
import { loadPipeline } from "../load.js"
import { decodeTable } from "../../cache/codec.js"
import type { ContentHash } from "../../cache/CacheStore.js"
import { evalReportFromRuns } from "../../eval/report.js"
import type { ResultFormat } from "../../eval/format.js"
import { formatTable, latestPerStage, resultsRows } from "../results.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const resultsCommand = (cmd: Extract<Command, { _tag: "results" }>, io: CliIO) =>
  Effect.gen(function* () {
    const p = yield* loadPipeline(cmd.file)
    const format = (cmd.format ?? (cmd.json ? "json" : "text")) as ResultFormat
    // Pipelines with evaluate stages get the study's table (one row per method / setting) from
    // their evaluation tables; others get one row per stage from their hook.
    const report = yield* Effect.gen(function* () {
      const cache = yield* CacheStore
      const runs = yield* cache.runs({ pipeline: p.name })
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
