/**
 * Loading a pipeline file: import it (TypeScript is loaded by tsx, which
 * `bin/clipcl.js` registers) and check that it default-exports a pipeline.
 *
 * @since 0.1.0
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { pathToFileURL } from "node:url"
import { Effect } from "effect"
import { isPipeline, type Pipeline } from "../dsl/Pipeline.js"
import { PipelineLoadFailed } from "../scheduler/errors.js"

const STALLED = Symbol("stalled")

/**
 * Import a module, failing with STALLED when the event loop runs dry while
 * it loads: nothing is left that could settle its top-level await, and Node
 * would otherwise exit (code 13) without a word about which file hung.
 */
const importOrStall = (url: string): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const stalled = () => reject(STALLED)
    process.once("beforeExit", stalled)
    ;(import(url) as Promise<Record<string, unknown>>).then(resolve, reject).finally(() => process.off("beforeExit", stalled))
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
      try: () => importOrStall(pathToFileURL(abs).href),
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
