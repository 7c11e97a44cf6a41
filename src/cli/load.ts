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

/**
 * @since 0.1.0
 * @category constructors
 */
export const loadPipeline = (file: string): Effect.Effect<Pipeline, PipelineLoadFailed> =>
  Effect.gen(function* () {
    const abs = resolve(file)
    if (!existsSync(abs)) return yield* new PipelineLoadFailed({ file, reason: "file not found" })
    const mod = yield* Effect.tryPromise({
      try: () => import(pathToFileURL(abs).href) as Promise<Record<string, unknown>>,
      catch: (cause) => new PipelineLoadFailed({ file, reason: `cannot be imported: ${(cause as Error)?.message ?? String(cause)}`, cause })
    })
    const p = mod.default
    if (!isPipeline(p)) {
      return yield* new PipelineLoadFailed({ file, reason: `does not default-export a pipeline (use \`export default pipeline(name, (p) => ...)\`)` })
    }
    return p
  })
