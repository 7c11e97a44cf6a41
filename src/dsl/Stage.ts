/**
 * Stage definitions: a named, versioned, typed unit of work. A definition is
 * pure data plus its `run`; pipelines instantiate it with parameters and
 * inputs. Nothing here does I/O.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import type { Effect } from "effect"
import type { AnyOutputSpec, Loaded, Produced } from "./Output.js"
import type { ResultsHook } from "./Pipeline.js"

/**
 * What a running stage may report. Calls are cheap and synchronous; the
 * scheduler turns them into events (throttled) and keeps a log tail.
 *
 * @since 0.1.0
 * @category models
 */
export interface StageContext {
  /** The stage instance name. */
  readonly stage: string
  /** Its cache key. */
  readonly key: string
  /** The backend chosen with `--backend` (an execution hint: not in the key). */
  readonly backend: string | undefined
  /** Fires when the run is interrupted (Ctrl-C, --fail-fast); async code should stop. */
  readonly signal: AbortSignal
  readonly progress: (step: number, total: number, metrics?: Readonly<Record<string, number>>) => void
  readonly log: (line: string, level?: "info" | "warn" | "error") => void
}

/**
 * The argument of a stage's `run`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunArgs<P, I extends Record<string, AnyOutputSpec>> {
  /** Decoded (Schema `Type`) parameters. */
  readonly params: P
  /** Loaded inputs, by the names the definition declared. */
  readonly inputs: { readonly [K in keyof I]: Loaded<I[K]> }
  /** The instance's seed (part of the cache key). */
  readonly seed: number
  readonly ctx: StageContext
}

/**
 * Declares how a stage is instantiated and run.
 *
 * @since 0.1.0
 * @category models
 */
export interface StageSpec<P, PE, I extends Record<string, AnyOutputSpec>, O extends AnyOutputSpec> {
  /** The stage kind name (stable; part of the cache key). */
  readonly name: string
  /** Bump to invalidate cached results when something fingerprinting misses changed. */
  readonly version: number | string
  /** The parameters' Schema; left out, the stage takes none (an empty struct). */
  readonly params?: Schema.Schema<P, PE, never>
  readonly inputs?: I
  readonly output: O
  /** Resource slots held while running, e.g. `{ accelerator: 1 }` (not in the key). */
  readonly resources?: Readonly<Record<string, number>>
  /**
   * Files whose contents are part of the implementation fingerprint (helper
   * modules, data files read): `new URL("./helper.ts", import.meta.url)` or a
   * path relative to the working directory. A missing file is an error.
   */
  readonly hashIncludes?: ReadonlyArray<string | URL>
  /** Return the output as an Effect, a Promise or a plain value. */
  readonly run: (args: RunArgs<P, I>) => Effect.Effect<Produced<O>, unknown, never> | Promise<Produced<O>> | Produced<O>
  /**
   * How `clipcl results` shows this kind's runs (the latest of each of its
   * instances), when the pipeline gives no hook of its own. Not part of the
   * key: it reads outputs, it does not make them.
   */
  readonly results?: ResultsHook
}

/**
 * A stage definition (the result of {@link stage}).
 *
 * @since 0.1.0
 * @category models
 */
export interface StageDef<P, PE, I extends Record<string, AnyOutputSpec>, O extends AnyOutputSpec>
  extends StageSpec<P, PE, I, O> {
  readonly _tag: "StageDef"
  readonly params: Schema.Schema<P, PE, never>
  readonly inputs: I
}

/**
 * Any stage definition (for the scheduler, which handles them uniformly).
 *
 * @since 0.1.0
 * @category models
 */
export type AnyStageDef = StageDef<any, any, Record<string, AnyOutputSpec>, AnyOutputSpec>

/**
 * Define a stage.
 *
 * @example
 * const square = stage({
 *   name: "square", version: 1,
 *   params: Schema.Struct({ k: Schema.Number }),
 *   inputs: { xs: value<ReadonlyArray<number>>() },
 *   output: value<ReadonlyArray<number>>(),
 *   run: ({ params, inputs }) => inputs.xs.map((x) => params.k * x * x)
 * })
 *
 * @since 0.1.0
 * @category constructors
 */
export const stage = <P = {}, PE = {}, O extends AnyOutputSpec = AnyOutputSpec, I extends Record<string, AnyOutputSpec> = {}>(
  spec: StageSpec<P, PE, I, O>
): StageDef<P, PE, I, O> => ({
  ...spec,
  params: spec.params ?? (Schema.Struct({}) as unknown as Schema.Schema<P, PE, never>),
  inputs: (spec.inputs ?? {}) as I,
  _tag: "StageDef"
})
