/**
 * `clipcl cache ls | stats | verify | gc | pin | unpin | export | import`.
 * The CacheStore service's reports, worded by `src/cache/format.ts` (or as
 * JSON with `--json`); `verify` exits 1 when it finds a corrupt artifact.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import { formatGc, formatLs, formatStats, formatTransfer, formatVerify } from "../../cache/format.js"
import type { Command } from "../args.js"
import { openCache, type CliIO } from "../io.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const cacheCommand = (cmd: Extract<Command, { _tag: "cache" }>, io: CliIO) =>
  Effect.gen(function* () {
    const cache = yield* CacheStore
    const a = cmd.action
    const json = (v: unknown) => io.stdout(JSON.stringify(v) + "\n")
    switch (a._tag) {
      case "ls": {
        const items = yield* cache.ls({ ...(a.sort ? { sort: a.sort } : {}), ...(a.limit ? { limit: a.limit } : {}) })
        if (a.json) items.forEach(json)
        else io.stdout(`${formatLs(items)}\n`)
        return 0
      }
      case "stats": {
        const s = yield* cache.stats()
        if (a.json) json(s)
        else io.stdout(`${formatStats(s)}\n`)
        return 0
      }
      case "verify": {
        const r = yield* cache.verify({ remove: a.remove })
        if (a.json) json(r)
        else io.stdout(`${formatVerify(r)}\n`)
        return r.corrupt.length > 0 || r.sqlite !== "ok" ? 1 : 0
      }
      case "gc": {
        // `--all` alone empties the cache: with no limit given, every artifact is over the limit.
        const noLimit = a.maxBytes === undefined && a.olderThanMs === undefined
        const r = yield* cache.gc({
          ...(a.maxBytes !== undefined ? { maxBytes: a.maxBytes } : a.all && noLimit ? { maxBytes: 0 } : {}),
          ...(a.olderThanMs !== undefined ? { olderThanMs: a.olderThanMs } : {}),
          includeProtected: a.all,
          dryRun: a.dryRun
        })
        if (a.json) json(r)
        else io.stdout(`${formatGc(r)}\n`)
        return 0
      }
      case "pin":
      case "unpin": {
        const h = yield* (a._tag === "pin" ? cache.pin(a.target) : cache.unpin(a.target))
        io.stdout(`${a._tag === "pin" ? "pinned" : "unpinned"} ${h}\n`)
        return 0
      }
      case "export": {
        const r = yield* cache.exportTo(a.file, a.pipelines.length ? { pipelines: a.pipelines } : undefined)
        io.stdout(`${formatTransfer("export", r)}\n`)
        return 0
      }
      case "import": {
        const r = yield* cache.importFrom(a.file)
        io.stdout(`${formatTransfer("import", r)}\n`)
        return 0
      }
    }
  }).pipe(Effect.provide(openCache(cmd.cache)))
