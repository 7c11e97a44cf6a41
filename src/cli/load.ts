/**
 * Loading a pipeline file: import it and check that it default-exports a
 * pipeline. A TypeScript file is compiled by the hooks of
 * `pipelineHooks.ts`, registered here on first use (commands that load no
 * pipeline never pay for them); run from the sources, tsx already compiles.
 *
 * @since 0.1.0
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { isPipeline, type Pipeline } from "../dsl/Pipeline.js"
import { PipelineLoadFailed } from "../scheduler/errors.js"
import type { PipelineHooksData } from "./pipelineHooks.js"

declare const CLIPCL_BUNDLE: boolean | undefined

/** Set once the hooks are registered. */
let hooks: Promise<void> | undefined

/**
 * Registers the pipeline hooks (`pipelineHooks.ts`) once. The bundled CLI
 * compiles TypeScript in them and resolves `effect` to its own copy; run
 * from the sources (already under tsx) they only make `.ts` files ES modules.
 * A `.cts` pipeline is CommonJS, which Node's module hooks cannot compile:
 * tsx's loader takes it.
 */
const registerHooks = (file: string): Promise<void> =>
  (hooks ??= (async () => {
    const { register, createRequire } = await import("node:module")
    const bundled = typeof CLIPCL_BUNDLE !== "undefined"
    const underTsx = import.meta.url.endsWith(".ts")
    if (!underTsx && /\.cts$/.test(file)) (await import("tsx/esm/api")).register()
    // Only the hooks that compile need esbuild (its version is part of their cache key).
    let esbuild: PipelineHooksData["esbuild"]
    if (!underTsx) {
      try {
        const require = createRequire(import.meta.url)
        const { version } = JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")) as { version: string }
        esbuild = { main: require.resolve("esbuild"), version }
      } catch {
        esbuild = undefined
      }
    }
    const data: PipelineHooksData = { transform: !underTsx, esbuild, effect: bundled ? bundledEffect() : undefined }
    const hooksModule = new URL(bundled ? "../bundle/hooks.js" : underTsx ? "./pipelineHooks.ts" : "./pipelineHooks.js", import.meta.url)
    register(hooksModule.href, { data })
    // Stack traces of a pipeline's code name its lines in the .ts file (the compiled code maps them).
    if (!underTsx) process.setSourceMapsEnabled(true)
  })())

/** The bundled effect's entry and its `effect/X` modules. */
const bundledEffect = (): PipelineHooksData["effect"] => {
  const dir = new URL("../bundle/effect/", import.meta.url)
  try {
    const modules = readdirSync(dir).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3))
    return { index: new URL("../bundle/effect.js", import.meta.url).href, dir: dir.href, modules }
  } catch {
    return undefined
  }
}

/**
 * clipcl's entry points a pipeline file names, imported before the hooks are
 * registered: each module loaded after that costs a round trip to the loader
 * thread, and `clipcl/stages` is dozens of chunks in the bundle. The same
 * modules the pipeline's own imports then find loaded.
 */
const preloadEntries = async (abs: string): Promise<void> => {
  if (typeof CLIPCL_BUNDLE === "undefined") return
  let text = ""
  try {
    text = readFileSync(abs, "utf8")
  } catch {
    return
  }
  const named = new Set([...text.matchAll(/from\s*["']clipcl(\/dsl|\/stages)?["']/g)].map((m) => m[1] ?? ""))
  if (named.has("/stages")) await import("../stages/index.js")
  else if (named.has("/dsl")) await import("../dsl/index.js")
  if (named.has("")) await import("../index.js")
}

const importModule = async (abs: string): Promise<Record<string, unknown>> => {
  await preloadEntries(abs)
  await registerHooks(abs)
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
