/**
 * The data sources stages can name: an open registry. Each source is one
 * value `{ name, params, open }` (`experiment.ts`); the built-in ones
 * (`synthetic`, `fashion-mnist`, `coco`) are registered here and a pipeline
 * file registers its own with {@link defineDataset} when it is imported
 * (also when `clipcl job run` re-imports it inside a Slurm job).
 *
 * Stage parameters name a source in `data: { source, ... }`; {@link DataParams}
 * decodes and encodes them with that source's Schema, looked up when the
 * parameters are decoded, so a source registered after the stage modules
 * loaded is known. Built-in parameters encode exactly as each source's Schema
 * does. A user's source adds its code fingerprint (the text of its `open` and
 * the contents of its `hashIncludes`) to its parameters as `code`: editing it
 * re-keys the stages that read this source, and only those.
 *
 * Tensor- and image-free: each `open` loads its readers with a literal
 * dynamic import, which stage fingerprints (`moduleSources`) follow.
 *
 * @since 0.1.0
 */
import { Data, ParseResult, Schema } from "effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { coco, type CocoData } from "./coco.js"
import type { DataSource, Experiment } from "./experiment.js"
import { fashionMnist, type FashionMnistData } from "./fashionMnist.js"
import { synthetic, type SyntheticData } from "./synthetic.js"

/**
 * A stage names a data source the registry does not hold.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownDataSource extends Data.TaggedError("UnknownDataSource")<{
  readonly source: string
  readonly known: ReadonlyArray<string>
}> {
  override get message() {
    return `unknown data source "${this.source}" (known: ${this.known.join(", ")}; a pipeline registers its own with defineDataset)`
  }
}

/**
 * A `defineDataset` call that cannot be registered; names the data set and
 * what is wrong.
 *
 * @since 0.1.0
 * @category errors
 */
export class DatasetDefinitionError extends Data.TaggedError("DatasetDefinitionError")<{
  readonly name: string
  readonly reason: string
}> {
  override get message() {
    return `defineDataset "${this.name}": ${this.reason}`
  }
}

const builtin: ReadonlyArray<DataSource> = [synthetic, fashionMnist, coco]
const sources = new Map<string, DataSource>(builtin.map((s) => [s.name, s]))

/**
 * The registered data sources' names, built-in ones first.
 *
 * @since 0.1.0
 * @category utils
 */
export const dataSourceNames = (): ReadonlyArray<string> => [...sources.keys()]

/**
 * Parameters of a data source registered by a pipeline (`defineDataset`):
 * its own fields, `source` and the derived `code` fingerprint.
 *
 * @since 0.1.0
 * @category models
 */
export interface CustomData {
  readonly source: string
  readonly [field: string]: unknown
}

/** @since 0.1.0 @category models */
export type DataParams = SyntheticData | FashionMnistData | CocoData | CustomData

/** @since 0.1.0 @category models */
export type DataParamsEncoded =
  | typeof synthetic.params.Encoded
  | typeof fashionMnist.params.Encoded
  | typeof coco.params.Encoded
  | CustomData

const sourceOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) && typeof (u as { source?: unknown }).source === "string"
    ? (u as { source: string }).source
    : undefined

/** The source a `{ source, ... }` value names, or the parse issue saying why there is none. */
const lookup = (u: unknown, ast: Schema.declare<any>["ast"]): Lookup => {
  const name = sourceOf(u)
  if (name === undefined) {
    return { issue: new ParseResult.Type(ast, u, `data parameters need a "source" naming a data source (known: ${dataSourceNames().join(", ")})`) }
  }
  const source = sources.get(name)
  if (source === undefined) {
    const e = new UnknownDataSource({ source: name, known: dataSourceNames() })
    return { issue: new ParseResult.Pointer("source", u, new ParseResult.Type(ast, name, e.message)) }
  }
  return { source }
}

type Lookup = { readonly source: DataSource } | { readonly issue: ParseResult.ParseIssue }

/**
 * The data a stage reads: `{ source, ... }` decoded and encoded by the named
 * source's Schema (see the module comment).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DataParams: Schema.Schema<DataParams, DataParamsEncoded, never> = Schema.declare<DataParams, DataParamsEncoded, readonly []>([], {
  decode: () => (u, options, ast) => {
    const found = lookup(u, ast)
    return "issue" in found ? ParseResult.fail(found.issue) : ParseResult.decodeUnknown(found.source.params)(u, options)
  },
  encode: () => (a, options, ast) => {
    const found = lookup(a, ast)
    return "issue" in found ? ParseResult.fail(found.issue) : ParseResult.encodeUnknown(found.source.params)(a, options)
  }
}, { identifier: "DataParams", description: "a registered data source's parameters, { source, ... }" })

const opened = new Map<string, Promise<Experiment>>()

/**
 * Open (once per process) the data a stage names. Asynchronous because real
 * data sets are read lazily from disk; concurrent stages opening the same
 * source share one promise, and a failed open is forgotten so a later stage
 * reports the error again rather than a stale one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openExperiment = (p: DataParams): Promise<Experiment> => {
  const key = JSON.stringify(p)
  const hit = opened.get(key)
  if (hit !== undefined) return hit
  const source = sources.get(p.source)
  const opening = source === undefined
    ? Promise.reject(new UnknownDataSource({ source: p.source, known: dataSourceNames() }))
    : Promise.resolve().then(() => source.open(p))
  opened.set(key, opening)
  opening.catch(() => opened.delete(key))
  return opening
}

/**
 * What a pipeline declares to register a data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface DatasetSpec<Fields extends Schema.Struct.Fields> {
  /** The `source` stages name it by; not a built-in source's name. */
  readonly name: string
  /** Its parameters (without `source`, which is added). */
  readonly params: Schema.Struct<Fields>
  /** Build the experiment; load heavy readers inside (`await import(...)`). */
  readonly open: (params: Schema.Struct.Type<Fields> & { readonly source: string; readonly code: string }) => Promise<Experiment>
  /**
   * Files whose contents are part of the data set's code fingerprint besides
   * `open`'s text: `moduleSources(import.meta.url)` when `open` calls
   * helpers of its module, like a custom stage's `hashIncludes`.
   */
  readonly hashIncludes?: ReadonlyArray<string | URL>
}

const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")

/** The data set's code fingerprint: `open`'s text and each include's contents, named machine-independently. */
const fingerprint = (name: string, open: (...args: never) => unknown, includes: ReadonlyArray<string | URL>): string => {
  const files = includes.map((inc): [string, string] => {
    let file: string
    try {
      file = inc instanceof URL || inc.startsWith("file:") ? fileURLToPath(inc) : resolve(inc)
      return [String(inc instanceof URL ? inc.pathname.split("/").slice(-2).join("/") : inc), sha256(readFileSync(file))]
    } catch (e) {
      throw new DatasetDefinitionError({ name, reason: `hashIncludes entry ${String(inc)} cannot be read: ${(e as Error).message}` })
    }
  })
  return sha256(JSON.stringify({ open: Function.prototype.toString.call(open), includes: files }))
}

/**
 * Register a data set from a pipeline file, at import: stages then read it
 * with `data: { source: name, ...params }`. Its parameters are decoded with
 * `params` (defaults filled in, unknown `source` values refused) and carry
 * the data set's code fingerprint as `code`, so the cache keys of the stages
 * that read it change when its code does. Registering a name again (the
 * pipeline imported again) replaces the earlier definition.
 *
 * @example
 * defineDataset({
 *   name: "my-folder",
 *   params: Schema.Struct({ dir: Schema.String }),
 *   open: async (p) => { const { openLabelsFile } = await import("clipcl/data"); ... }
 * })
 *
 * @since 0.1.0
 * @category constructors
 */
export const defineDataset = <Fields extends Schema.Struct.Fields>(spec: DatasetSpec<Fields>): DataSource<Schema.Struct.Type<Fields> & { readonly source: string; readonly code: string }> => {
  const { name } = spec
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new DatasetDefinitionError({ name, reason: "a name is letters, digits, '.', '_' or '-'" })
  if (builtin.some((s) => s.name === name)) throw new DatasetDefinitionError({ name, reason: "is a built-in data source" })
  for (const reserved of ["source", "code"]) {
    if (reserved in spec.params.fields) throw new DatasetDefinitionError({ name, reason: `params may not declare "${reserved}" (the registry sets it)` })
  }
  const code = fingerprint(name, spec.open, spec.hashIncludes ?? [])
  const fields = Schema.Struct({
    source: Schema.Literal(name),
    ...spec.params.fields,
    /** Derived when decoded (the code fingerprint); whatever is written here is replaced. */
    code: Schema.optional(Schema.String)
  }) as unknown as Schema.Schema<Record<string, unknown>, Record<string, unknown>, never>
  const params = Schema.transformOrFail(fields, Schema.typeSchema(fields), {
    strict: true,
    decode: (p) => ParseResult.succeed({ ...p, code }),
    encode: ParseResult.succeed
  })
  const source: DataSource = { name, params, open: (p) => spec.open(p) }
  sources.set(name, source)
  return source
}
