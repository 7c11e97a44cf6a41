/**
 * Plain-text renderings of the maintenance reports, for `clipcl cache ...`
 * (`src/cli/commands/cache.ts` prints them, or the reports as JSON with
 * `--json`). The CLI decides where they go; nothing here prints.
 *
 * @since 0.1.0
 */
import type { ArtifactInfo, CacheStats, GcReport, TransferReport, VerifyReport } from "./CacheStore.js"
import { formatBytes, formatDuration } from "./units.js"

const short = (hash: string): string => hash.slice(0, 12)

/** `1 artifact`, `5 artifacts`. */
const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

const pad = (rows: ReadonlyArray<ReadonlyArray<string>>): string[] => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd())
}

/**
 * `cache ls`: one line per artifact.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatLs = (rows: ReadonlyArray<ArtifactInfo>, now: number = Date.now()): string => {
  if (rows.length === 0) return "cache is empty"
  return pad([
    ["HASH", "KIND", "SIZE", "USED", "KEYS", "FLAGS"],
    ...rows.map((a) => [
      short(a.hash),
      a.kind,
      formatBytes(a.size),
      `${formatDuration(Math.max(0, now - a.lastUsedAt))} ago`,
      String(a.keys),
      [a.pinned ? "pinned" : "", a.protected ? "in-use" : ""].filter(Boolean).join(",")
    ])
  ]).join("\n")
}

/**
 * `cache stats`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatStats = (s: CacheStats): string => {
  const kinds = Object.entries(s.byKind)
    .filter(([, v]) => v.count > 0)
    .map(([k, v]) => `${k} ${v.count} (${formatBytes(v.bytes)})`)
    .join(", ")
  return [
    `store      ${s.path}`,
    `artifacts  ${s.artifacts} (${formatBytes(s.bytes)})${kinds ? ": " + kinds : ""}`,
    `keys       ${s.keys}`,
    `runs       ${s.runs} (ok ${s.runsByStatus.ok}, failed ${s.runsByStatus.failed}, interrupted ${s.runsByStatus.interrupted})`,
    `protected  ${s.pinned} pinned, ${s.protected} used by the last run of ${s.pipelines} pipeline(s)`,
    `on disk    ${formatBytes(s.fileBytes)} + WAL ${formatBytes(s.walBytes)}${s.blobFileBytes > 0 ? ` + blob files ${formatBytes(s.blobFileBytes)}` : ""}`,
    ...(s.incompleteUploads > 0 ? [`uploads    ${s.incompleteUploads} in progress or abandoned`] : [])
  ].join("\n")
}

/**
 * `cache verify`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatVerify = (r: VerifyReport): string =>
  [
    `checked ${count(r.checked, "artifact")}, ${formatBytes(r.bytes)}: ${r.corrupt.length === 0 ? "all sound" : `${r.corrupt.length} corrupt`}`,
    ...r.corrupt.map((c) => `  CORRUPT ${c.hash}: ${c.detail}`),
    ...(r.removed > 0 ? [`removed ${count(r.removed, "corrupt artifact")}; their stages will re-run`] : []),
    ...(r.evicted > 0 ? [`${count(r.evicted, "artifact")} evicted by another process while verify ran (not corrupt)`] : []),
    `sqlite integrity: ${r.sqlite}`
  ].join("\n")

/**
 * `cache gc`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatGc = (r: GcReport): string =>
  [
    `${r.dryRun ? "would evict" : "evicted"} ${count(r.evicted.length, "artifact")}, ${formatBytes(r.freedBytes)}; ${formatBytes(r.remainingBytes)} remain`,
    ...r.evicted.map((e) => `  ${short(e.hash)}  ${formatBytes(e.size)}`),
    ...(r.abandonedUploads > 0 ? [`swept ${count(r.abandonedUploads, "abandoned upload")}`] : []),
    ...(r.inUse > 0 ? [`kept ${count(r.inUse, "artifact")} that a running process may be using`] : [])
  ].join("\n")

/**
 * `cache export` / `cache import`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatTransfer = (direction: "export" | "import", r: TransferReport): string =>
  direction === "export"
    ? `exported ${count(r.artifacts, "artifact")} (${formatBytes(r.bytes)}) and ${count(r.runs, "run record")} to ${r.file}`
    : `imported ${count(r.artifacts, "artifact")} (${formatBytes(r.bytes)}) and ${count(r.runs, "run record")} from ${r.file}` +
      (r.skippedArtifacts + r.skippedRuns > 0
        ? `; ${count(r.skippedArtifacts, "artifact")} and ${count(r.skippedRuns, "run")} were already present`
        : "")
