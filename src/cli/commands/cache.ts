/**
 * `clipcl cache ls | stats | verify | gc | pin | unpin | export | import`.
 * Thin wording over the CacheStore service; `verify` exits 1 when it finds
 * a corrupt artifact.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import type { Command } from "../args.js"
import { openCache, type CliIO } from "../io.js"

const bytes = (n: number): string => {
  const units = ["B", "KB", "MB", "GB", "TB"]
  let u = 0
  let v = n
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`
}
const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19)

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
        else {
          for (const i of items) {
            io.stdout(`${i.hash.slice(0, 16)}  ${i.kind.padEnd(10)}  ${bytes(i.size).padStart(9)}  used ${when(i.lastUsedAt)}  keys ${i.keys}${i.pinned ? "  pinned" : ""}${i.protected ? "  in-use" : ""}\n`)
          }
          io.stdout(`${items.length} artifacts\n`)
        }
        return 0
      }
      case "stats": {
        const s = yield* cache.stats()
        if (a.json) json(s)
        else {
          io.stdout(`${s.path}: ${s.artifacts} artifacts, ${bytes(s.bytes)}; ${s.keys} keys, ${s.runs} runs (${Object.entries(s.runsByStatus).map(([k, v]) => `${v} ${k}`).join(", ")})\n`)
          for (const [k, v] of Object.entries(s.byKind)) io.stdout(`  ${k.padEnd(10)} ${String(v.count).padStart(6)}  ${bytes(v.bytes)}\n`)
          io.stdout(`  pinned ${s.pinned}, protected ${s.protected}, pipelines ${s.pipelines}, incomplete uploads ${s.incompleteUploads}; file ${bytes(s.fileBytes)} + WAL ${bytes(s.walBytes)}${s.blobFileBytes > 0 ? ` + blob files ${bytes(s.blobFileBytes)}` : ""}\n`)
        }
        return 0
      }
      case "verify": {
        const r = yield* cache.verify({ remove: a.remove })
        if (a.json) json(r)
        else {
          io.stdout(`checked ${r.checked} artifacts (${bytes(r.bytes)}), sqlite ${r.sqlite}\n`)
          for (const c of r.corrupt) io.stdout(`CORRUPT ${c.hash}: ${c.detail}\n`)
          if (a.remove) io.stdout(`removed ${r.removed}\n`)
          if (r.evicted > 0) io.stdout(`${r.evicted} artifacts were evicted by another process while verify ran (not corrupt)\n`)
        }
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
        else io.stdout(`${r.dryRun ? "would evict" : "evicted"} ${r.evicted.length} artifacts, ${bytes(r.freedBytes)} freed, ${bytes(r.remainingBytes)} remain${r.abandonedUploads ? `, ${r.abandonedUploads} abandoned uploads removed` : ""}${r.inUse ? `; kept ${r.inUse} that a running process may be using` : ""}\n`)
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
        io.stdout(`exported ${r.artifacts} artifacts (${bytes(r.bytes)}) and ${r.runs} runs to ${r.file}\n`)
        return 0
      }
      case "import": {
        const r = yield* cache.importFrom(a.file)
        io.stdout(`imported ${r.artifacts} artifacts (${bytes(r.bytes)}) and ${r.runs} runs from ${r.file} (${r.skippedArtifacts} artifacts, ${r.skippedRuns} runs already present)\n`)
        return 0
      }
    }
  }).pipe(Effect.provide(openCache(cmd.cache)))
