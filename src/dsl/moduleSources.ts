/**
 * The source files a stage kind's results depend on, for its implementation
 * fingerprint (`hashIncludes`). A stage's `run` is a thin call into the
 * science modules; hashing only `run` would miss an edit to the training loop.
 * `moduleSources` follows the stage module's static imports (the code it can
 * run), so an edit to the training loop invalidates fine-tuning but not
 * evaluation, and an unrelated module invalidates nothing; `sourcesOf` lists
 * whole folders of clipcl's `src/` for code reached otherwise. Type-only
 * imports carry no code, and clipcl's engine (`dsl`, `scheduler`, `cache`,
 * `cli`, `ui`) only moves or names a stage's output, which the cache checks
 * by content hash, so neither is followed.
 *
 * A custom stage gets the same invalidation with
 * `hashIncludes: moduleSources(import.meta.url)` in the module defining it.
 *
 * clipcl's own modules are fingerprinted from their TypeScript sources in
 * `src/` (which the package ships) also when they run compiled from `dist/`,
 * and for a stage defined in `src/` these sources stand in for the text of
 * its compiled `run` (see `coversRun`): a built and an unbuilt install
 * compute the same keys.
 *
 * @since 0.1.0
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"

/** `import ... from "./x.js"`, `export ... from "../y.js"`, `import "./z.js"`, `import("./w.js")`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g

/** `import type {...} from "..."` / `export type {...} from "..."`: no runtime code. */
const TYPE_ONLY = /\b(?:import|export)\s+type\s[^;"']*?from\s*["'][^"']+["']/g

/** clipcl's package folder, its sources and its compiled modules (this module is `src/dsl/` or `dist/dsl/`). */
const ROOT = new URL("../../", import.meta.url)
const SRC = new URL("src/", ROOT).href
const DIST = new URL("dist/", ROOT).href

/** Folders of `src/` that are engine, not science (see the module comment). */
const ENGINE = ["dsl", "scheduler", "cache", "cli", "ui"].map((f) => `${SRC}${f}/`)

/** The fingerprinting machinery, like the engine, not code that computes a result. */
const SELF = new Set([`${SRC}dsl/moduleSources.ts`])

/** The file of `src/` a module of clipcl's `dist/` was compiled from; other URLs unchanged. */
const sourceOf = (url: URL): URL => {
  if (!url.href.startsWith(DIST)) return url
  const base = `${SRC}${url.href.slice(DIST.length)}`.replace(/\.(m?js|jsx)$/, "")
  for (const candidate of [`${base}.ts`, `${base}.tsx`]) if (existsSync(new URL(candidate))) return new URL(candidate)
  throw new Error(`cannot fingerprint ${fileURLToPath(url)}: its source ${fileURLToPath(new URL(`${base}.ts`))} is missing (clipcl's package ships src/)`)
}

/** The TypeScript file a relative ESM specifier (spelt `.js`) names. */
const sourceFile = (spec: string, from: URL): URL | undefined => {
  const target = new URL(spec, from)
  const base = target.href.replace(/\.(m?js|jsx)$/, "")
  for (const candidate of [`${base}.ts`, `${base}.tsx`, target.href]) {
    if (existsSync(new URL(candidate))) return new URL(candidate)
  }
  return undefined
}

/**
 * Marks a `hashIncludes` list made by {@link moduleSources} for a module of
 * clipcl's `src/`: that module defines the stage, so its source covers
 * `run`, and the fingerprint leaves out `run`'s compiled text, which differs
 * between `dist/` (tsc) and sources loaded through tsx.
 *
 * @since 0.1.0
 * @category symbols
 */
export const coversRun: unique symbol = Symbol.for("clipcl/moduleSources/coversRun")

/**
 * Whether a stage's `hashIncludes` covers its `run` (see {@link coversRun}).
 *
 * @since 0.1.0
 * @category guards
 */
export const includesCoverRun = (includes: unknown): boolean =>
  Array.isArray(includes) && (includes as unknown as Record<symbol, unknown>)[coversRun] === true

/**
 * A module and every module it reaches through relative imports (static,
 * side-effect and literal dynamic ones), sorted. Fails, naming the file,
 * when an imported module cannot be found: a fingerprint must not silently
 * miss code.
 *
 * @since 0.1.0
 * @category utils
 */
export const moduleSources = (entry: string | URL): ReadonlyArray<URL> => {
  const seen = new Map<string, URL>()
  const start = sourceOf(new URL(String(entry)))
  const stack = [sourceFile(`./${start.pathname.split("/").pop()!}`, start) ?? start]
  while (stack.length > 0) {
    const url = stack.pop()!
    if (seen.has(url.href)) continue
    seen.set(url.href, url)
    for (const next of importsOf(url)) if (!seen.has(next.href)) stack.push(next)
  }
  const out = [...seen.values()].sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0))
  if (start.href.startsWith(SRC)) Object.defineProperty(out, coversRun, { value: true })
  return out
}

/** Each module's followed imports, read once per process: the stage modules share most of their graphs. */
const directImports = new Map<string, ReadonlyArray<URL>>()

const importsOf = (url: URL): ReadonlyArray<URL> => {
  const known = directImports.get(url.href)
  if (known !== undefined) return known
  let text: string
  try {
    text = readFileSync(url, "utf8")
  } catch (e) {
    throw new Error(`cannot read ${fileURLToPath(url)} to fingerprint it: ${(e as Error).message}`)
  }
  // Comments may quote imports (like this module's own); they are not code.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "").replace(TYPE_ONLY, "")
  const out: Array<URL> = []
  for (const m of code.matchAll(RELATIVE_IMPORT)) {
    const next = sourceFile(m[1]!, url)
    if (next === undefined) throw new Error(`${fileURLToPath(url)} imports ${m[1]}, which does not exist`)
    if (!SELF.has(next.href) && !ENGINE.some((e) => next.href.startsWith(e))) out.push(next)
  }
  directImports.set(url.href, out)
  return out
}

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
    const dir = new URL(`${f}/`, SRC)
    try {
      walk(dir, out)
    } catch (e) {
      throw new Error(`cannot list the sources of ${fileURLToPath(dir)}: ${(e as Error).message}`)
    }
  }
  return out
}
