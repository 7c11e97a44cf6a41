/**
 * A continual-learning method as one value: its name, its options (a
 * Schema, with each option's default on the schema), what it reads besides
 * the session's own images, from which session on it acts, and how to make
 * its per-session hooks ({@link Method}). The stages ask a method what it
 * needs instead of knowing methods by name, so a method defined in a
 * pipeline file runs like the built-in ones.
 *
 * Tensor-free: `make` loads its implementation itself (a dynamic import), so
 * reading definitions (parameter validation, planning) loads no TensorFlow.js.
 *
 * @since 0.1.0
 */
import { Option, Schema, SchemaAST } from "effect"
import type { Method } from "./method.js"
import type { ReplayMemory } from "./replay.js"
import type { TeacherImageFeatures } from "./teacher.js"
import type { Vocabulary } from "./vrlwf.js"
import type { ZsclReference } from "./zscl.js"

/**
 * An option with a default: optional in the parameters (left out, it stays
 * out of the encoded parameters and so of the cache key), its default
 * recorded on the schema, where {@link defaultsOf} reads it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const option = <A, I>(schema: Schema.Schema<A, I, never>, fallback: A) => Schema.optional(schema.annotations({ default: fallback }))

/**
 * A method's options, every defaulted one filled in.
 *
 * @since 0.1.0
 * @category models
 */
export type OptionsOf<S extends Schema.Struct<any>> = { readonly [K in keyof S["Type"]]-?: Exclude<S["Type"][K], undefined> }

/**
 * The defaults recorded by {@link option} on the fields of `options`.
 *
 * @since 0.1.0
 * @category utils
 */
export const defaultsOf = <S extends Schema.Struct<any>>(options: S): OptionsOf<S> => {
  const out: Record<string, unknown> = {}
  for (const [k, field] of Object.entries(options.fields as Schema.Struct.Fields)) {
    const from = (field as { readonly from?: Schema.Schema.Any }).from
    if (from === undefined) continue
    const fallback = SchemaAST.getDefaultAnnotation(from.ast)
    if (Option.isSome(fallback)) out[k] = fallback.value
  }
  return out as OptionsOf<S>
}

/**
 * The options that were given (no `name`, no undefined values).
 *
 * @since 0.1.0
 * @category utils
 */
export const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== "name")) as Partial<T>

/**
 * What a method reads in one session besides that session's images and
 * labels. The stages provide it: they pick the memory and reference images
 * (the same ones in `finetune` and `distill`), wire the initial model, and
 * let `distill` compute the teacher's features of `teacher.images` once.
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodNeeds {
  /** A replay memory: `perClass` training images of each class of the earlier sessions. */
  readonly memory?: { readonly perClass: number }
  /** `size` image-caption pairs of the pretraining data (ZSCL's reference set). */
  readonly reference?: { readonly size: number }
  /** A vocabulary embedded once by the session's teacher (`embedVocabulary`). */
  readonly vocabulary?: boolean
  /** The initial (pretrained) model, as the `initial` of its session setup. */
  readonly initial?: boolean
  /**
   * A frozen teacher run on image sets (`model`: the model the session
   * starts from; `initial`: the pretrained one). Training uses no
   * augmentation, so its features are computed once per session
   * (`distill`) and given to the method.
   */
  readonly teacher?: {
    readonly model: "model" | "initial"
    readonly images: ReadonlyArray<"session" | "memory" | "reference">
  }
}

/**
 * What the stages give a method's `make`, by its needs: the embedded
 * vocabulary, the reference pairs and the replay memory, with the teacher's
 * features of the reference pairs and of the memory when computed once.
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodResources {
  readonly vocabulary?: Vocabulary
  readonly reference?: ZsclReference
  readonly memory?: ReplayMemory
  readonly memoryTeacher?: TeacherImageFeatures
}

/**
 * A method, as written by its author.
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodDefinition<N extends string, S extends Schema.Struct<any>> {
  /** The name the stage parameters give (`{ name, ...options }`), unique among methods. */
  readonly name: N
  /** The options; {@link option} records a default on the schema. */
  readonly options: S
  /** First (0-based) session the method acts in; earlier sessions train as plain fine-tuning (default 0). */
  readonly from?: number
  /** What it reads in session `session` (0-based; only asked from `from` on). */
  readonly needs?: (options: S["Type"], session: number) => MethodNeeds
  /** The session hooks; load the implementation here (a literal dynamic import keeps planning light). */
  readonly make: (options: S["Type"], resources: MethodResources) => Method | Promise<Method>
}

/**
 * A method with its parameter schema: `{ name, ...options }`.
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodEntry<N extends string = string, S extends Schema.Struct<any> = Schema.Struct<any>> extends MethodDefinition<N, S> {
  readonly params: Schema.Struct<{ readonly name: Schema.Literal<[N]> } & S["fields"]>
}

/**
 * A method's entry: its definition and its parameter schema.
 *
 * @since 0.1.0
 * @category constructors
 */
export const method = <const N extends string, S extends Schema.Struct<any>>(def: MethodDefinition<N, S>): MethodEntry<N, S> => {
  if (typeof def.name !== "string" || def.name.length === 0) throw new Error("a method needs a non-empty name")
  if ("name" in def.options.fields) throw new Error(`method ${def.name}: 'name' is not an option name (it names the method)`)
  return { ...def, params: Schema.Struct({ name: Schema.Literal(def.name), ...def.options.fields }) as MethodEntry<N, S>["params"] }
}

/**
 * A method's parameter schema, without its option types (for methods looked up by name).
 *
 * @since 0.1.0
 * @category utils
 */
export const paramsOf = (entry: MethodEntry<string, any>): Schema.Schema<{ readonly name: string }, { readonly name: string }, never> =>
  entry.params as unknown as Schema.Schema<{ readonly name: string }, { readonly name: string }, never>

/**
 * What `entry` reads in session `session` (nothing before its `from`).
 *
 * @since 0.1.0
 * @category utils
 */
export const needsAt = (entry: MethodEntry<string, any>, options: object, session: number): MethodNeeds =>
  session < (entry.from ?? 0) || entry.needs === undefined ? {} : entry.needs(options, session)

/**
 * A resource the method needs, or an error naming it.
 *
 * @since 0.1.0
 * @category utils
 */
export const need = <T>(v: T | undefined, what: string, method: string): T => {
  if (v === undefined) throw new Error(`method ${method} needs ${what}`)
  return v
}
