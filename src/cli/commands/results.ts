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
import { formatTable, resultsRows } from "../results.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const resultsCommand = (cmd: Extract<Command, { _tag: "results" }>, io: CliIO) =>
  Effect.gen(function* () {
    const p = yield* loadPipeline(cmd.file)
    const runs = yield* Effect.flatMap(CacheStore, (c) => c.runs({ pipeline: p.name })).pipe(Effect.provide(openCache(cmd.cache)))
    const rows = resultsRows(p, runs)
    io.stdout(cmd.json ? rows.map((r) => JSON.stringify(r) + "\n").join("") : formatTable(rows))
    return 0
  })
