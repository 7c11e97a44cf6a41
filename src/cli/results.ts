/**
 * The extension point of `clipcl results`: results hooks, from a
 * pipeline's latest run records to result rows or a rendered report. A
 * pipeline may bring its own (`pipeline(name, build, { results })`); else
 * each stage kind that has one (`stage({ ..., results })`, e.g. the study's
 * `report`) shows its own runs; else {@link defaultResults} gives one row
 * per stage with its status, duration, params and metrics. The engine
 * knows nothing of what the results mean: it prints what the hooks return.
 * Nothing here draws (no ink): the end of `clipcl run` only prints reports.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { CacheStore, type ContentHash } from "../cache/CacheStore.js"
import { decodeTable } from "../cache/codec.js"
import type { AnyStageDef } from "../dsl/Stage.js"
import type { Pipeline, ResultsContext, ResultsHook, ResultsOutcome, ResultsReport, RunSummary } from "../dsl/Pipeline.js"

/**
 * One row per stage run: stage, kind, status, ms, then params and metrics
 * flattened (`param.lr`, `metric.accuracy`).
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultResults = (runs: ReadonlyArray<RunSummary>): ReadonlyArray<Readonly<Record<string, unknown>>> =>
  runs.map((r) => {
    const row: Record<string, unknown> = { stage: r.stage, kind: r.stageKind, status: r.status, ms: r.endedAt - r.startedAt }
    if (typeof r.params === "object" && r.params !== null) for (const [k, v] of Object.entries(r.params)) row[`param.${k}`] = v
    for (const [k, v] of Object.entries(r.metrics ?? {})) row[`metric.${k}`] = v
    return row
  })

/**
 * The latest run of each stage (runs given newest first), in first-seen order.
 *
 * @since 0.1.0
 * @category utils
 */
export const latestPerStage = <R extends RunSummary>(runs: ReadonlyArray<R>): ReadonlyArray<R> => {
  const seen = new Set<string>()
  const out: Array<R> = []
  for (const r of runs) {
    if (seen.has(r.stage)) continue
    seen.add(r.stage)
    out.push(r)
  }
  return out.reverse()
}

/**
 * What the results hooks made of a pipeline's runs: a report they rendered,
 * or rows to tabulate (`fromHook` false: the default one row per stage).
 *
 * @since 0.1.0
 * @category models
 */
export type Results =
  | {
    readonly _tag: "Report"
    readonly report: ResultsReport
    /** Rows other hooks returned beside the reports. */
    readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>
  }
  | { readonly _tag: "Rows"; readonly rows: ReadonlyArray<Readonly<Record<string, unknown>>>; readonly fromHook: boolean }

const isReport = (o: ResultsOutcome): o is ResultsReport => o !== null && !Array.isArray(o) && typeof (o as ResultsReport).text === "string"

/** A hook's outcome as an Effect, whether it returned a value, a Promise or an Effect; its failures pass through. */
const outcomeOf = (hook: ResultsHook, runs: ReadonlyArray<RunSummary>, context: ResultsContext): Effect.Effect<ResultsOutcome, unknown> =>
  Effect.suspend(() => {
    const o = hook(runs, context)
    if (Effect.isEffect(o)) return o
    if (o instanceof Promise) return Effect.tryPromise({ try: () => o, catch: (e) => e })
    return Effect.succeed(o as ResultsOutcome)
  })

/**
 * The results of a pipeline's latest runs (one per stage, as
 * {@link latestPerStage} gives them): its own hook's, else those of the
 * stage kinds (among `defs`, the DAG's stage definitions) that have one,
 * each given its own kind's runs (reports joined in DAG order, rows
 * concatenated), else the default rows.
 *
 * @since 0.1.0
 * @category utils
 */
export const pipelineResults = (
  p: Pipeline,
  defs: ReadonlyArray<AnyStageDef>,
  runs: ReadonlyArray<RunSummary>,
  context: ResultsContext
): Effect.Effect<Results, unknown> =>
  Effect.gen(function* () {
    const outcomes: Array<ResultsOutcome> = []
    if (p.results !== undefined) outcomes.push(yield* outcomeOf(p.results, runs, context))
    else {
      const kinds = new Map<string, ResultsHook>()
      for (const d of defs) if (d.results !== undefined && !kinds.has(d.name)) kinds.set(d.name, d.results)
      for (const [kind, hook] of kinds) {
        const own = runs.filter((r) => r.stageKind === kind)
        if (own.length > 0) outcomes.push(yield* outcomeOf(hook, own, context))
      }
    }
    const reports = outcomes.filter(isReport)
    const rows = outcomes.flatMap((o) => (o === null || isReport(o) ? [] : o))
    if (reports.length > 0) {
      const text = reports.map((r) => r.text.replace(/\n*$/, "\n")).join("\n")
      return { _tag: "Report", report: { text, files: reports.flatMap((r) => r.files) }, rows } as const
    }
    if (outcomes.length > 0 && (p.results !== undefined || rows.length > 0)) return { _tag: "Rows", rows, fromHook: true } as const
    return { _tag: "Rows", rows: defaultResults(runs), fromHook: false } as const
  })

/**
 * Reads the stored table of a run from the cache (a results hook's `readTable`).
 *
 * @since 0.1.0
 * @category utils
 */
export const tableReader = Effect.map(CacheStore, (cache) => (run: RunSummary): Promise<unknown> =>
  run.output === null
    ? Promise.reject(new Error(`${run.stage}: no output stored`))
    : Effect.runPromise(Effect.flatMap(cache.readArtifact(run.output as ContentHash), decodeTable)))
