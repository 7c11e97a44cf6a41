/**
 * Module hooks for pipeline files and what they import (registered by
 * `load.ts`, run on Node's loader thread):
 * - TypeScript (`.ts`, `.mts`, `.tsx`) outside `node_modules` is compiled
 *   with esbuild's `transform` (types stripped, nothing checked), cached on
 *   disk by content hash: a pipeline that has not changed since the last
 *   start loads without starting esbuild. Imports spelt the TypeScript way
 *   (`./common/synthetic.js` for a `.ts` file) resolve to the `.ts` file.
 * - Such a file is an ES module whatever its package's `type` (`npm init -y`
 *   writes `"type": "commonjs"`); pipeline files are ES modules by contract.
 * - When clipcl runs from its bundle, `effect` and `effect/X` resolve to the
 *   bundled copy: one copy of effect in the process.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { tmpdir, userInfo } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

/**
 * What `load.ts` passes to the hooks.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineHooksData {
  /** Compile TypeScript here (false where tsx already does). */
  readonly transform: boolean
  /** esbuild's entry, resolved from clipcl's package, and its version. */
  readonly esbuild?: { readonly main: string; readonly version: string } | undefined
  /** The bundled effect: its index and the `effect/X` modules it has. */
  readonly effect?: { readonly index: string; readonly dir: string; readonly modules: ReadonlyArray<string> } | undefined
}

interface ResolveContext {
  readonly parentURL?: string | undefined
  readonly conditions: ReadonlyArray<string>
}
interface Resolved {
  readonly url: string
  readonly format?: string | null | undefined
  readonly shortCircuit?: boolean
}
interface Loaded {
  readonly format: string | null | undefined
  readonly source?: string | ArrayBuffer | Uint8Array | null | undefined
  readonly shortCircuit?: boolean
}

let settings: PipelineHooksData = { transform: false }

/** Called once by Node with the `data` given to `register`. */
export const initialize = (data: PipelineHooksData | undefined): void => {
  settings = data ?? settings
}

const TYPESCRIPT = /\.(?:m?ts|tsx)$/
const isUserFile = (url: string): boolean => url.startsWith("file:") && !url.includes("/node_modules/")

/** `./x.js` → `./x.ts` (and `.mjs` → `.mts`, `.jsx` → `.tsx`; no extension → `.ts`), as TypeScript resolves. */
const typescriptSpellings = (specifier: string): ReadonlyArray<string> => {
  const m = /\.(m?js|jsx)$/.exec(specifier)
  if (m === null) return /\.[a-z]+$/i.test(specifier) ? [] : [`${specifier}.ts`, `${specifier}.tsx`]
  const base = specifier.slice(0, -m[0].length)
  return m[1] === "mjs" ? [`${base}.mts`] : [`${base}.ts`, `${base}.tsx`]
}

export const resolve = async (
  specifier: string,
  context: ResolveContext,
  next: (specifier: string, context?: ResolveContext) => Promise<Resolved>
): Promise<Resolved> => {
  const effect = settings.effect
  if (effect !== undefined && (specifier === "effect" || specifier.startsWith("effect/"))) {
    const sub = specifier.slice("effect/".length)
    const url = specifier === "effect" ? effect.index : effect.modules.includes(sub) ? `${effect.dir}${sub}.js` : undefined
    if (url !== undefined) return { url, format: "module", shortCircuit: true }
  }
  let r: Resolved
  try {
    r = await next(specifier, context)
  } catch (e) {
    const relative = /^\.{1,2}\//.test(specifier) || specifier.startsWith("file:")
    if (!settings.transform || !relative || context.parentURL === undefined || !isUserFile(context.parentURL)) throw e
    let found: Resolved | undefined
    for (const candidate of typescriptSpellings(specifier)) {
      found = await next(candidate, context).catch(() => undefined)
      if (found !== undefined) break
    }
    if (found === undefined) throw e
    r = found
  }
  return TYPESCRIPT.test(r.url) && isUserFile(r.url) ? { ...r, format: "module" } : r
}

/**
 * The folder of compiled files (by the hash of esbuild's version, the
 * options and the source), or undefined where it cannot be trusted: code read
 * from it runs, so it must be this user's and writable by no one else.
 */
let folder: string | undefined | null = null
const cacheDir = (): string | undefined => {
  if (folder !== null) return folder
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined
  let user = "user"
  try {
    user = String(uid ?? userInfo().uid)
  } catch {
    /* no passwd entry */
  }
  const dir = join(tmpdir(), `clipcl-ts-${user}`)
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const st = lstatSync(dir)
    folder = st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0 ? dir : undefined
  } catch {
    folder = undefined
  }
  return folder
}

/** Each folder's nearest `tsconfig.json` text, found once: a pipeline's files share their folders. */
const tsconfigs = new Map<string, string | undefined>()

/** The text of the `tsconfig.json` nearest to a folder (esbuild reads its JSX and class-field settings), or undefined. */
const nearestTsconfig = (dir: string): string | undefined => {
  if (tsconfigs.has(dir)) return tsconfigs.get(dir)
  let text: string | undefined
  try {
    text = readFileSync(join(dir, "tsconfig.json"), "utf8")
  } catch {
    text = dirname(dir) === dir ? undefined : nearestTsconfig(dirname(dir))
  }
  tsconfigs.set(dir, text)
  return text
}

const compile = async (url: string, source: string): Promise<string> => {
  const path = fileURLToPath(url)
  // tsx's settings: a stage's fingerprint reads its `run` as compiled, so a pipeline compiled here
  // and one run from clipcl's sources under tsx get the same keys.
  const options = {
    loader: path.endsWith(".tsx") ? "tsx" : "ts",
    format: "esm",
    target: `node${process.versions.node}`,
    sourcemap: "inline",
    sourcefile: path,
    minifyWhitespace: true,
    keepNames: true,
    tsconfigRaw: nearestTsconfig(dirname(path)) ?? "{}"
  } as const
  const key = createHash("sha256").update(JSON.stringify({ v: 1, esbuild: settings.esbuild?.version, options })).update("\0").update(source).digest("hex")
  const dir = cacheDir()
  const file = dir === undefined ? undefined : join(dir, `${key}.mjs`)
  if (file !== undefined) {
    try {
      return readFileSync(file, "utf8")
    } catch {
      /* not compiled yet */
    }
  }
  if (settings.esbuild === undefined) throw new Error(`cannot compile ${path}: esbuild is not installed`)
  const mod = (await import(pathToFileURL(settings.esbuild.main).href)) as typeof import("esbuild") & { default?: typeof import("esbuild") }
  const { code } = await (mod.default ?? mod).transform(source, options)
  if (file !== undefined) {
    try {
      // Renamed into place: a reader never sees half a file.
      const temp = `${file}.${process.pid}.tmp`
      writeFileSync(temp, code)
      renameSync(temp, file)
    } catch {
      /* an unwritable temp folder costs a compile per start, nothing else */
    }
  }
  return code
}

export const load = async (
  url: string,
  context: { readonly format?: string | null | undefined },
  next: (url: string, context?: unknown) => Promise<Loaded>
): Promise<Loaded> => {
  if (!settings.transform || !TYPESCRIPT.test(url) || !isUserFile(url)) return next(url, context)
  const source = readFileSync(fileURLToPath(url), "utf8")
  return { format: "module", source: await compile(url, source), shortCircuit: true }
}
