/**
 * Steps shared by the commands that take a pipeline FILE.
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { UsageError } from "../args.js"
import { loadPipeline } from "../load.js"
import { matchStages, parseOverride, type Dag, type Override } from "../../scheduler/resolve.js"
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

const unquote = (t: string): string => (t.length >= 2 && /^(['"]).*\1$/.test(t) ? t.slice(1, -1) : t)

const listed = (names: ReadonlyArray<string>, max = 6): string =>
  `${names.length} instance${names.length === 1 ? "" : "s"}: ${names.slice(0, max).join(", ")}${names.length > max ? `, … and ${names.length - max} more` : ""}`

/**
 * One line per `--set`, `--force` and `--only` saying which instances it
 * touched (`plan` prints them above the stages).
 *
 * @since 0.1.0
 * @category utils
 */
export const selectionLines = (dag: Dag, force: ReadonlyArray<string> = [], only: ReadonlyArray<string> = []): ReadonlyArray<string> => [
  ...dag.overrides.map((o) => `--set ${o.text} → ${listed(o.stages)}`),
  ...force.map((f) => `--force ${f} → ${listed(matchStages(dag, unquote(f)).map((i) => dag.nodes[i]!.name))} (and what depends on them)`),
  ...only.map((f) => `--only ${f} → ${listed(matchStages(dag, unquote(f)).map((i) => dag.nodes[i]!.name))} (and what they need)`)
]
