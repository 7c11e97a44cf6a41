/**
 * How each declared output kind becomes bytes (and back). The cache hashes
 * bytes only, so every encoding here is canonical: equal outputs give equal
 * bytes, hence equal content hashes, which is what lets an upstream re-run
 * that yields the same result leave everything downstream cached.
 *
 * - value: canonical JSON (sorted keys, no whitespace), UTF-8;
 * - table: canonical JSON of `{columns, rows}` (row objects are normalised);
 * - tensors: a safetensors file, tensors in name order;
 * - checkpoint: a safetensors file (or opaque bytes), produced as a stream
 *   so a 1-2 GB model is never concatenated in memory.
 *
 * The formats themselves live in `src/formats/` (canonical JSON,
 * safetensors); this module maps each kind to them.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { canonicalJsonText as canonicalText, NotJsonError } from "../formats/canonicalJson.js"
import {
  layoutSafetensors, parseSafetensors, readTensors, SafetensorsError, safetensorsBytes, safetensorsDecoder, safetensorsStream,
  type NamedTensor, type TensorData, type TensorSet
} from "../formats/safetensors.js"
import type { ArtifactKind, Table } from "../formats/artifact.js"

/**
 * An output that cannot be encoded (or bytes that cannot be decoded) as the
 * declared kind. `path` points at the offending field or tensor.
 *
 * @since 0.1.0
 * @category errors
 */
export class CodecError extends Data.TaggedError("CodecError")<{
  readonly kind: ArtifactKind
  readonly path: string
  readonly reason: string
}> {
  get message(): string {
    return `cannot encode/decode ${this.kind} at ${this.path || "<root>"}: ${this.reason}`
  }
}

export type { DType, TensorData, TensorSet, TypedArray } from "../formats/safetensors.js"
export type { Table } from "../formats/artifact.js"

/** Thrown inside this module only; turned into a `CodecError` at its edge. */
class Bad extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(reason)
  }
}

/** A field path as `a.b[2]` (`""` for the value itself). */
const fieldPath = (path: ReadonlyArray<string | number>): string =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("")

const guard = <A>(kind: ArtifactKind, f: () => A): Effect.Effect<A, CodecError> =>
  Effect.try({
    try: f,
    catch: (e) =>
      e instanceof Bad
        ? new CodecError({ kind, path: e.path, reason: e.reason })
        : e instanceof NotJsonError
          ? new CodecError({ kind, path: fieldPath(e.path), reason: e.reason })
          : new CodecError({ kind, path: "", reason: e instanceof Error ? e.message : String(e) })
  })

// ---- canonical JSON ----------------------------------------------------------

/**
 * Canonical JSON text (`formats/canonicalJson.ts`, the text cache keys are
 * made of too). Throws a `NotJsonError`; the encoders below turn it into a
 * `CodecError` naming the field.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJsonText: (value: unknown) => string = canonicalText

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * @since 0.1.0
 * @category constructors
 */
export const encodeValue = (value: unknown): Effect.Effect<Uint8Array, CodecError> =>
  guard("value", () => utf8.encode(canonicalJsonText(value)))

/**
 * @since 0.1.0
 * @category constructors
 */
export const decodeValue = (bytes: Uint8Array): Effect.Effect<unknown, CodecError> =>
  guard("value", () => JSON.parse(fromUtf8.decode(bytes)))

// ---- tables ------------------------------------------------------------------

/**
 * `{columns, rows}` as given, or an array of row objects turned into one
 * (columns in first-seen order, absent cells null).
 *
 * @since 0.1.0
 * @category utils
 */
export const normalizeTable = (table: Table | ReadonlyArray<Readonly<Record<string, unknown>>>): Table => {
  if (!Array.isArray(table)) {
    const t = table as Table
    if (!Array.isArray(t.columns) || !Array.isArray(t.rows)) throw new Bad("", "a table needs columns and rows arrays")
    t.rows.forEach((r, i) => {
      if (!Array.isArray(r)) throw new Bad(`rows[${i}]`, "a row must be an array")
      if (r.length !== t.columns.length) throw new Bad(`rows[${i}]`, `${r.length} cells for ${t.columns.length} columns`)
    })
    return { columns: t.columns, rows: t.rows }
  }
  const columns: string[] = []
  const seen = new Set<string>()
  for (const row of table as ReadonlyArray<Record<string, unknown>>)
    for (const k of Object.keys(row))
      if (!seen.has(k)) {
        seen.add(k)
        columns.push(k)
      }
  const rows = (table as ReadonlyArray<Record<string, unknown>>).map((row) => columns.map((c) => row[c] ?? null))
  return { columns, rows }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const encodeTable = (
  table: Table | ReadonlyArray<Readonly<Record<string, unknown>>>
): Effect.Effect<Uint8Array, CodecError> =>
  guard("table", () => {
    const t = normalizeTable(table)
    return utf8.encode(canonicalJsonText({ columns: t.columns, rows: t.rows }))
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const decodeTable = (bytes: Uint8Array): Effect.Effect<Table, CodecError> =>
  guard("table", () => normalizeTable(JSON.parse(fromUtf8.decode(bytes)) as Table))

/**
 * A table's rows as objects keyed by column.
 *
 * @since 0.1.0
 * @category utils
 */
export const tableRows = (table: Table): Array<Record<string, unknown>> =>
  table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]])))

// ---- safetensors (formats/safetensors.ts) -----------------------------------------

const codecError = (kind: ArtifactKind, e: unknown): CodecError =>
  e instanceof SafetensorsError
    ? new CodecError({ kind, path: e.tensor ?? "", reason: e.reason })
    : new CodecError({ kind, path: "", reason: e instanceof Error ? e.message : String(e) })

const tensorList = (set: TensorSet): NamedTensor[] => Object.keys(set).map((name) => ({ name, ...set[name]! }))

/** The cache's layout: tensors sorted by name, canonical JSON header. */
const layout = (set: TensorSet, metadata?: Readonly<Record<string, string>>) =>
  layoutSafetensors(tensorList(set), metadata === undefined ? { style: "canonical" } : { style: "canonical", metadata })

/**
 * Encode a tensor set as one safetensors buffer (tensors sorted by name).
 *
 * @since 0.1.0
 * @category constructors
 */
export const encodeTensors = (
  set: TensorSet,
  metadata?: Readonly<Record<string, string>>
): Effect.Effect<Uint8Array, CodecError> =>
  Effect.try({ try: () => safetensorsBytes(layout(set, metadata)), catch: (e) => codecError("tensors", e) })

/**
 * The same bytes as `encodeTensors`, as a stream of views into the tensors'
 * own memory (no copy): what a checkpoint is handed to `putArtifact` as.
 *
 * @since 0.1.0
 * @category constructors
 */
export const encodeTensorsStream = (
  set: TensorSet,
  metadata?: Readonly<Record<string, string>>
): Effect.Effect<{ readonly size: number; readonly body: AsyncIterable<Uint8Array> }, CodecError> =>
  Effect.try({
    try: () => {
      const l = layout(set, metadata)
      return { size: l.size, body: safetensorsStream(l) }
    },
    catch: (e) => codecError("checkpoint", e)
  })

/**
 * Decode a safetensors buffer. Tensors are views into `bytes` where their
 * alignment allows, else copies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeTensors = (bytes: Uint8Array): Effect.Effect<Record<string, TensorData>, CodecError> =>
  Effect.try({ try: () => readTensors(parseSafetensors(bytes)), catch: (e) => codecError("tensors", e) })

/**
 * An incremental safetensors decoder: `push` the bytes in order, then `end`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TensorsDecoder {
  /** Feed the next bytes. They may be borrowed: nothing keeps a reference to `piece` after `push` returns. */
  readonly push: (piece: Uint8Array) => Effect.Effect<void, CodecError>
  /** The tensors, once every byte was pushed. */
  readonly end: () => Effect.Effect<Record<string, TensorData>, CodecError>
}

/**
 * A decoder that writes a safetensors byte stream straight into one typed
 * array per tensor: the only whole copy in memory is the result. Fed by
 * `CacheStore.scanArtifact`, whose pieces are borrowed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tensorsDecoder = (): TensorsDecoder => {
  const d = safetensorsDecoder()
  return {
    push: (piece) => Effect.try({ try: () => d.push(piece), catch: (e) => codecError("checkpoint", e) }),
    end: () => Effect.try({ try: d.end, catch: (e) => codecError("checkpoint", e) })
  }
}

/**
 * Decode a safetensors stream (e.g. `Stream.toAsyncIterable` of a cached
 * checkpoint) with `tensorsDecoder`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeTensorsStream = (body: AsyncIterable<Uint8Array>): Effect.Effect<Record<string, TensorData>, CodecError> =>
  Effect.tryPromise({
    try: async () => {
      const d = safetensorsDecoder()
      for await (const piece of body) d.push(piece)
      return d.end()
    },
    catch: (e) => codecError("checkpoint", e)
  })

// ---- by kind ---------------------------------------------------------------------

/**
 * A stage's output as bytes for its declared kind. A checkpoint may be
 * given as a tensor set (streamed), ready bytes, or a byte stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const encodeOutput = (
  kind: ArtifactKind,
  output: unknown
): Effect.Effect<Uint8Array | AsyncIterable<Uint8Array>, CodecError> => {
  switch (kind) {
    case "value":
      return encodeValue(output)
    case "table":
      return encodeTable(output as Table)
    case "tensors":
      return encodeTensors(output as TensorSet)
    case "checkpoint":
      if (output instanceof Uint8Array) return Effect.succeed(output)
      if (typeof output === "object" && output !== null && Symbol.asyncIterator in output)
        return Effect.succeed(output as AsyncIterable<Uint8Array>)
      return Effect.map(encodeTensorsStream(output as TensorSet), (s) => s.body)
  }
}

/**
 * Bytes of a cached artifact back to the value its stage returned (a
 * checkpoint decodes to its tensor set).
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeOutput = (kind: ArtifactKind, bytes: Uint8Array): Effect.Effect<unknown, CodecError> => {
  switch (kind) {
    case "value":
      return decodeValue(bytes)
    case "table":
      return decodeTable(bytes)
    case "tensors":
    case "checkpoint":
      return Effect.mapError(decodeTensors(bytes), (e) => new CodecError({ kind, path: e.path, reason: e.reason }))
  }
}
