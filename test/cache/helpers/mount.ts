/** A small tmpfs for the full-disk tests (they need root; outside CI they skip where mounting is refused). */
import { spawnSync } from "node:child_process"

/** Mount a tmpfs of `size` (e.g. "8m") on `dir`, read-only if asked: the unmount function, or why it could not be mounted. */
export const mountTmpfs = (dir: string, size: string, readOnly = false): (() => void) | string => {
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}${readOnly ? ",ro" : ""}`, "tmpfs", dir], { encoding: "utf8" })
  if (r.error !== undefined) return `cannot run mount: ${r.error.message}`
  if (r.status !== 0) return `mount -t tmpfs refused: ${(r.stderr || "").trim() || `exit ${r.status}`}`
  return () => void spawnSync("umount", ["-l", dir])
}

/** In CI the full-disk tests must run: a refused mount fails them there instead of skipping. */
export const mustMount = (): boolean => process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "0"
