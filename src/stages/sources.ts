/**
 * The source files a stage kind's results depend on, for its implementation
 * fingerprint (`hashIncludes`). A stage's `run` is a thin call into the
 * science modules; hashing only `run` would miss an edit to the training loop,
 * so each stage kind lists the folders whose code it runs. Coarse on purpose:
 * a spurious re-run costs minutes, a stale result costs a wrong table.
 *
 * @since 0.1.0
 */
import { readdirSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"

const walk = (dir: URL, out: Array<URL>): void => {
  for (const name of readdirSync(dir).sort()) {
    const url = new URL(name, dir)
    if (statSync(url).isDirectory()) walk(new URL(`${name}/`, dir), out)
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(url)
  }
}

/**
 * Every non-test TypeScript file under the named `src/` folders (e.g.
 * `"clip"`, `"methods"`), sorted, as file URLs.
 *
 * @since 0.1.0
 * @category utils
 */
export const sourcesOf = (...folders: ReadonlyArray<string>): ReadonlyArray<URL> => {
  const out: Array<URL> = []
  for (const f of folders) {
    const dir = new URL(`../${f}/`, import.meta.url)
    try {
      walk(dir, out)
    } catch (e) {
      throw new Error(`cannot list the sources of ${fileURLToPath(dir)}: ${(e as Error).message}`)
    }
  }
  return out
}
