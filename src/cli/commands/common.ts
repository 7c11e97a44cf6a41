/**
 * Steps shared by the commands that take a pipeline FILE.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { UsageError } from "../args.js"
import { loadPipeline } from "../load.js"
import { parseOverride, type Override } from "../../scheduler/resolve.js"
import { resolvePipeline } from "../../scheduler/runPipeline.js"

/**
 * Parse `--set` values.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseOverrides = (set: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<Override>, UsageError> =>
  Effect.forEach(set, (s) => Either.match(parseOverride(s), { onLeft: (detail) => Effect.fail(new UsageError({ detail })), onRight: Effect.succeed }))

/**
 * Load a pipeline file and resolve it with overrides and stage selections.
 *
 * @since 0.1.0
 * @category utils
 */
export const loadAndResolve = (file: string, set: ReadonlyArray<string>, only: ReadonlyArray<string> = [], force: ReadonlyArray<string> = []) =>
  Effect.gen(function* () {
    const p = yield* loadPipeline(file)
    const overrides = yield* parseOverrides(set)
    const r = yield* resolvePipeline(p, { file, overrides, only, force })
    return { pipeline: p, ...r }
  })
