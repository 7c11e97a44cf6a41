/**
 * Pipelines: stage instances wired together. `pipeline(name, build)` only
 * records declarations; the scheduler resolves them (overrides, Schema
 * decoding, merging identical instances, cycle checks), so a pipeline file
 * has no side effects when imported.
 *
 * Handles are typed by their stage's output descriptor, so wiring an output
 * of the wrong kind or type into an input does not compile.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { AnyOutputSpec } from "./Output.js"
import type { AnyStageDef, StageDef } from "./Stage.js"
import { expandGrid, settingLabel, type Grid, type Setting } from "./Sweep.js"

/**
 * Where a handle points: a declaration of this pipeline, or a stage named
 * later (forward reference, resolved and checked by the scheduler).
 *
 * @since 0.1.0
 * @category models
 */
export type Ref = { readonly _tag: "Decl"; readonly index: number } | { readonly _tag: "Name"; readonly name: string }

/**
 * A typed reference to a stage instance's output.
 *
 * @since 0.1.0
 * @category models
 */
export interface Handle<S extends AnyOutputSpec> {
  readonly _tag: "Handle"
  readonly ref: Ref
  readonly spec: S
}

/**
 * One `add` call, as recorded.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decl {
  readonly index: number
  /** Instance name: given or derived from the stage name, plus `[sweep label]` inside a sweep. */
  readonly name: string
  readonly given: boolean
  readonly def: AnyStageDef
  /** Parameters as written (Schema `Encoded` side), before overrides and decoding. */
  readonly params: unknown
  readonly inputs: Readonly<Record<string, Ref>>
  readonly seed: number | undefined
  /** Sweep label, for grouping in views. */
  readonly group: string | undefined
  /** The `k=v` parts of `group`, one list per enclosing sweep (outermost first). */
  readonly dims?: ReadonlyArray<ReadonlyArray<string>>
}

type InputHandles<I extends Record<string, AnyOutputSpec>> = { readonly [K in keyof I]: Handle<I[K]> }

/**
 * Options of {@link PipelineBuilder.add}. `inputs` may be left out only by stages without inputs.
 *
 * @since 0.1.0
 * @category models
 */
export type AddOptions<PE, I extends Record<string, AnyOutputSpec>> = {
  /** Stable instance name (default: the stage name, `#2`, `#3`... on repeats). */
  readonly name?: string
  readonly seed?: number
} & ({} extends PE ? { readonly params?: PE } : { readonly params: PE }) &
  (keyof I extends never ? { readonly inputs?: InputHandles<I> } : { readonly inputs: InputHandles<I> })

/**
 * The argument of a pipeline's build function.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineBuilder {
  /** Instantiate a stage; returns a typed handle to its output. */
  readonly add: <P, PE, I extends Record<string, AnyOutputSpec>, O extends AnyOutputSpec>(
    def: StageDef<P, PE, I, O>,
    options: AddOptions<PE, I>
  ) => Handle<O>
  /** A handle to a stage instance by name (may be declared later). */
  readonly ref: <S extends AnyOutputSpec>(name: string, spec: S) => Handle<S>
  /** Declare the body once per point of a grid (cartesian product) or per listed setting. */
  readonly sweep: {
    <G extends Grid>(grid: G, body: (setting: Setting<G>) => void): void
    <S extends Readonly<Record<string, unknown>>>(settings: ReadonlyArray<S>, body: (setting: S) => void): void
  }
}

/**
 * A run record as seen by a results hook (structurally a cache `RunRecord`).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSummary {
  readonly stage: string
  readonly stageKind: string
  readonly params: unknown
  readonly status: string
  readonly output: string | null
  readonly metrics: Readonly<Record<string, number>> | null
  readonly startedAt: number
  readonly endedAt: number
}

/**
 * What `clipcl results` (and the end of `clipcl run`) hands a results hook
 * besides the runs.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResultsContext {
  /** The stored table a successful run returned (rows as records), read from the cache. */
  readonly readTable: (run: RunSummary) => Promise<unknown>
  /** The format asked for with `--format` (`--json`: `json`); default `text`. */
  readonly format: "text" | "markdown" | "csv" | "json"
  /** `--plots DIR`: where to write plot files, if the hook draws any. */
  readonly plotsDir: string | undefined
}

/**
 * Results a hook has rendered itself: the text to print in the format asked
 * for, and the files it wrote.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResultsReport {
  readonly text: string
  readonly files: ReadonlyArray<string>
}

/**
 * Turns run records into results (`clipcl results`): rows, which the CLI
 * tabulates, or a report the hook rendered itself; `null` when it has
 * nothing to show. A pipeline may give one for all its runs
 * (`pipeline(name, build, { results })`), a stage kind for its own runs
 * (`stage({ ..., results })`): that is how a science stage shows its
 * results without the engine knowing what they mean.
 *
 * @since 0.1.0
 * @category models
 */
export type ResultsHook = (
  runs: ReadonlyArray<RunSummary>,
  context: ResultsContext
) => ResultsOutcome | Promise<ResultsOutcome> | Effect.Effect<ResultsOutcome, unknown, never>

/**
 * @since 0.1.0
 * @category models
 */
export type ResultsOutcome = ReadonlyArray<Readonly<Record<string, unknown>>> | ResultsReport | null

/**
 * @since 0.1.0
 * @category models
 */
export interface PipelineOptions {
  /** Seed of instances that set none (default 0). */
  readonly seed?: number
  /** Resource capacities, e.g. `{ accelerator: 1 }` (default 1 per resource named by a stage). */
  readonly resources?: Readonly<Record<string, number>>
  /** How `clipcl results` tabulates this pipeline (default: one row per stage). */
  readonly results?: ResultsHook
}

/**
 * A pipeline (default-export it from a pipeline file).
 *
 * @since 0.1.0
 * @category models
 */
export interface Pipeline extends PipelineOptions {
  readonly _tag: "Pipeline"
  readonly name: string
  readonly build: (p: PipelineBuilder) => void
}

/**
 * Define a pipeline.
 *
 * @since 0.1.0
 * @category constructors
 */
export const pipeline = (name: string, build: (p: PipelineBuilder) => void, options: PipelineOptions = {}): Pipeline => ({
  ...options,
  _tag: "Pipeline",
  name,
  build
})

/**
 * @since 0.1.0
 * @category guards
 */
export const isPipeline = (u: unknown): u is Pipeline =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "Pipeline"

/**
 * Run a pipeline's build function and return its declarations in order.
 * Derived names that repeat get `#2`, `#3`...; given names are kept as
 * written (duplicates are reported by the scheduler).
 *
 * @since 0.1.0
 * @category utils
 */
export const declarations = (p: Pipeline): ReadonlyArray<Decl> => {
  const decls: Array<Decl> = []
  const seen = new Map<string, number>()
  const labels: Array<string> = []
  const dims: Array<ReadonlyArray<string>> = []
  /** `labels` joined, kept current by `sweep` (not rebuilt per declaration). */
  let group: string | undefined
  const add = (def: AnyStageDef, options: { name?: string; seed?: number; params?: unknown; inputs?: Record<string, Handle<AnyOutputSpec>> }) => {
    const base = options.name ?? def.name
    let name = group === undefined ? base : `${base}[${group}]`
    const given = options.name !== undefined
    if (!given) {
      const n = (seen.get(name) ?? 0) + 1
      seen.set(name, n)
      if (n > 1) name = `${name}#${n}`
    }
    const inputs: Record<string, Ref> = {}
    for (const [k, h] of Object.entries(options.inputs ?? {})) inputs[k] = h?.ref ?? { _tag: "Name", name: String(h) }
    const index = decls.length
    decls.push({ index, name, given, def, params: options.params ?? {}, inputs, seed: options.seed, group, ...(group === undefined ? {} : { dims: [...dims] }) })
    return { _tag: "Handle" as const, ref: { _tag: "Decl" as const, index }, spec: def.output }
  }
  const sweep = (gridOrList: Grid | ReadonlyArray<Readonly<Record<string, unknown>>>, body: (s: any) => void) => {
    const settings = Array.isArray(gridOrList) ? gridOrList : expandGrid(gridOrList as Grid)
    for (const s of settings) {
      labels.push(settingLabel(s))
      dims.push(Object.keys(s).map((k) => settingLabel({ [k]: s[k] })))
      group = labels.join(";")
      try {
        body(s)
      } finally {
        labels.pop()
        dims.pop()
        group = labels.length > 0 ? labels.join(";") : undefined
      }
    }
  }
  const builder: PipelineBuilder = {
    add: add as PipelineBuilder["add"],
    ref: (name, spec) => ({ _tag: "Handle", ref: { _tag: "Name", name }, spec }),
    sweep: sweep as PipelineBuilder["sweep"]
  }
  p.build(builder)
  return decls
}
