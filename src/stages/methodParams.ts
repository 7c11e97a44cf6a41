/**
 * The continual-learning method a `finetune` session uses, as validated
 * parameters (`{ name, ...options }`), what it needs in a session, and its
 * construction. Methods come from the registry (`src/methods/registry.ts`):
 * the built-in ones, and those a pipeline file adds with {@link defineMethod}.
 * Each option left out takes that method's default.
 *
 * Tensor-free: a method's implementation loads when a session makes it.
 *
 * @since 0.1.0
 */
import { Either, ParseResult, Schema } from "effect"
import { moduleSources } from "../dsl/moduleSources.js"
import { builtinMethods } from "../methods/builtin.js"
import { method, needsAt, paramsOf, type MethodDefinition, type MethodEntry, type MethodResources } from "../methods/definition.js"
import { ft, type Method } from "../methods/method.js"
import { methodNamed, registerMethod } from "../methods/registry.js"

export type { MethodNeeds, MethodResources } from "../methods/definition.js"

type ParamsOf<T extends ReadonlyArray<{ readonly params: Schema.Schema.Any }>> = { readonly [K in keyof T]: T[K]["params"] }

/**
 * The parameters of the built-in methods.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MethodParams = Schema.Union(...(builtinMethods.map((m) => m.params) as unknown as ParamsOf<typeof builtinMethods>))

/** @since 0.1.0 @category models */
export type MethodParams = typeof MethodParams.Type

/**
 * The parameters of any registered method (decoded).
 *
 * @since 0.1.0
 * @category models
 */
export interface AnyMethodParams {
  readonly name: string
}

/**
 * Decode `{ name, ...options }` against the registered method of that name.
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeMethod = (u: unknown): Either.Either<AnyMethodParams, string> => {
  const name = typeof u === "object" && u !== null ? (u as { name?: unknown }).name : undefined
  if (typeof name !== "string") return Either.left("method: needs a 'name'")
  let entry: MethodEntry<string, any>
  try {
    entry = methodNamed(name).entry
  } catch (e) {
    return Either.left((e as Error).message)
  }
  return Either.mapLeft(Schema.decodeUnknownEither(paramsOf(entry))(u), (e) => ParseResult.TreeFormatter.formatErrorSync(e))
}

const split = (p: AnyMethodParams) => {
  const { name, ...options } = p
  return { entry: methodNamed(name).entry, options }
}

/**
 * What the method reads in session `session` (0-based).
 *
 * @since 0.1.0
 * @category utils
 */
export const methodNeeds = (p: AnyMethodParams, session: number) => {
  const { entry, options } = split(p)
  return needsAt(entry, options, session)
}

/**
 * Build the method session `session` trains with: plain fine-tuning before
 * the method's first session.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMethod = async (p: AnyMethodParams, r: MethodResources, session: number): Promise<Method> => {
  const { entry, options } = split(p)
  return session < (entry.from ?? 0) ? ft : await entry.make(options, r)
}

/**
 * The image sets a method's frozen teacher encodes in a session, and which
 * input model that teacher is (`model`: the session's start; `initial`: the
 * pretrained model). Training uses no augmentation and the teacher no
 * dropout, so these features are constant through the session and the
 * `distill` stage computes them once. Undefined when the method runs no
 * teacher on images in that session (FT, IMM, GEM, A-GEM, RKR; LwF, GeoDL
 * and iCaRL in the first session).
 *
 * @since 0.1.0
 * @category utils
 */
export interface TeacherImageSets {
  readonly teacher: "model" | "initial"
  /** The session's own training images. */
  readonly session?: number
  /** The replay memory the session trains with. */
  readonly memory?: { readonly session: number; readonly perClass: number }
  /** ZSCL's reference pairs (images, and their captions' text features). */
  readonly reference?: { readonly size: number }
}

/** @since 0.1.0 @category utils */
export const teacherImageSets = (p: AnyMethodParams, session: number): TeacherImageSets | undefined => {
  const needs = methodNeeds(p, session)
  if (needs.teacher === undefined) return undefined
  const images = new Set(needs.teacher.images)
  return {
    teacher: needs.teacher.model,
    ...(images.has("session") ? { session } : {}),
    ...(images.has("memory") && needs.memory !== undefined ? { memory: { session, perClass: needs.memory.perClass } } : {}),
    ...(images.has("reference") && needs.reference !== undefined ? { reference: needs.reference } : {})
  }
}

declare const customMethod: unique symbol

/**
 * The parameters of a method defined in a pipeline file, as its
 * {@link defineMethod} value makes them (`l2sp({ alpha: 0.1 })`).
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomMethodParams {
  readonly name: string
  readonly [customMethod]: true
}

/**
 * A method defined in a pipeline file: call it with options for the
 * parameters a study or a stage takes.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomMethod<N extends string, S extends Schema.Struct<any>> {
  (options?: S["Encoded"]): CustomMethodParams & { readonly name: N } & S["Encoded"]
  readonly entry: MethodEntry<N, S>
  /** The source files of its code, part of the cache key of the stages that train with it. */
  readonly sources: ReadonlyArray<URL>
}

/**
 * The source files of a method defined in a pipeline file (undefined: built in).
 *
 * @since 0.1.0
 * @category utils
 */
export const customSources = (name: string): ReadonlyArray<URL> | undefined => customs.get(name)

const customs = new Map<string, ReadonlyArray<URL>>()

/**
 * Register a method from a pipeline file (or a module it imports). `module`
 * is that module's `import.meta.url`: it and every module it imports
 * (static and literal dynamic imports) are part of the cache key of the
 * fine-tuning stages that use the method, and of no others. Keep a method
 * in a module of its own, so that editing the pipeline re-runs nothing.
 * Registration happens when the module is imported, so every process that
 * loads the pipeline (`clipcl job run` on a cluster node too) knows it.
 *
 * @example
 * export const l2sp = defineMethod({
 *   module: import.meta.url,
 *   name: "L2-SP",
 *   options: Schema.Struct({ alpha: option(Schema.Number, 0.01) }),
 *   make: async (o) => (await import("./l2spLoss.js")).l2sp(o)
 * })
 * study(p, base, { ..., methods: [{ label: "L2-SP", method: l2sp({ alpha: 0.1 }) }] })
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineMethod = <const N extends string, S extends Schema.Struct<any>>(
  def: MethodDefinition<N, S> & { readonly module: string | URL }
): CustomMethod<N, S> => {
  const { module, ...rest } = def
  const entry = method(rest as MethodDefinition<N, S>)
  const sources = moduleSources(module)
  registerMethod(entry as MethodEntry<string, any>, String(module))
  customs.set(entry.name, sources)
  const make = (options: S["Encoded"] = {}) => ({ ...options, name: entry.name }) as CustomMethodParams & { readonly name: N } & S["Encoded"]
  return Object.assign(make, { entry, sources })
}
