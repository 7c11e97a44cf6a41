/**
 * Finds the files the tokenizer ships with (`assets/clip/...` at the package
 * root). The module may run from `src/clip/internal` (tsx, tests) or from a
 * compiled copy at another depth (`dist/clip/internal`), so the folder is
 * looked up from the module's own location upwards rather than at a fixed
 * relative path; never from the working directory.
 *
 * @internal
 */
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** Absolute path of `assets/clip/<name>`, or undefined when no ancestor folder has it. */
export const clipAssetPath = (name: string): string | undefined => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(dir, "assets", "clip", name)
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return undefined
}
