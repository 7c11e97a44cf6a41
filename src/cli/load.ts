/**
 * Loading a pipeline file: import it and check that it default-exports a
 * pipeline. A TypeScript file (`.ts`, `.mts`, `.cts`, `.tsx`) is imported
 * through tsx, loaded here on first use: the CLI itself runs compiled
 * JavaScript, and commands that load no pipeline never pay for tsx.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { isPipeline, type Pipeline } from "../dsl/Pipeline.js"
import { PipelineLoadFailed } from "../scheduler/errors.js"

const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/

let typescriptLoader: Promise<void> | undefined

/**
 * A resolve hook: a `.ts` / `.tsx` file outside `node_modules` is an ES
 * module, whatever its package's `type`. `npm init -y` writes `"type":
 * "commonjs"`, where Node would load a pipeline's `import` / `export` as
 * CommonJS and fail; pipeline files are ES modules by contract (`.cts` stays
 * CommonJS).
 */
const ESM_TYPESCRIPT = `export const resolve = async (specifier, context, next) => {
  const r = await next(specifier, context)
  return r.format === "commonjs" && /\\.tsx?$/.test(r.url) && !r.url.includes("/node_modules/") ? { ...r, format: "module" } : r
}`

/** Registers tsx's loader once (already there when the CLI runs from sources through tsx), then the hook above. */
const loadTypeScript = (): Promise<void> =>
  (typescriptLoader ??= (async () => {
    if (!import.meta.url.endsWith(".ts")) (await import("tsx/esm/api")).register()
    const { register } = await import("node:module")
    register(`data:text/javascript,${encodeURIComponent(ESM_TYPESCRIPT)}`)
  })())

const importModule = async (abs: string): Promise<Record<string, unknown>> => {
  if (TYPESCRIPT.test(abs)) await loadTypeScript()
  return (await import(pathToFileURL(abs).href)) as Record<string, unknown>
}

const STALLED = Symbol("stalled")

/**
 * Load a module, failing with STALLED when the event loop runs dry while
 * it loads: nothing is left that could settle its top-level await, and Node
 * would otherwise exit (code 13) without a word about which file hung.
 */
const importOrStall = (load: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const stalled = () => reject(STALLED)
    process.once("beforeExit", stalled)
    load().then(resolve, reject).finally(() => process.off("beforeExit", stalled))
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const loadPipeline = (file: string): Effect.Effect<Pipeline, PipelineLoadFailed> =>
  Effect.gen(function* () {
    const abs = resolve(file)
    if (!existsSync(abs)) return yield* new PipelineLoadFailed({ file, reason: "file not found" })
    const mod = yield* Effect.tryPromise({
      try: () => importOrStall(() => importModule(abs)),
      catch: (cause) =>
        cause === STALLED
          ? new PipelineLoadFailed({ file, reason: "never finished loading: its top-level await never settles (nothing is left running that could settle it)" })
          : new PipelineLoadFailed({ file, reason: `cannot be imported: ${(cause as Error)?.message ?? String(cause)}`, cause })
    })
    const p = mod.default
    if (!isPipeline(p)) {
      return yield* new PipelineLoadFailed({ file, reason: `does not default-export a pipeline (use \`export default pipeline(name, (p) => ...)\`)` })
    }
    return p
  })
