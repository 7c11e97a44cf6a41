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
 * No tfjs here: tensors are plain typed arrays with a dtype and a shape.
 *
 * @since 0.1.0
 */
import { endianness } from "node:os"
import { Data, Effect } from "effect"
import { canonicalJsonText as canonicalText, NotJsonError } from "../formats/canonicalJson.js"
import type { ArtifactKind } from "./CacheStore.js"

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

/**
 * safetensors dtypes.
 *
 * @since 0.1.0
 * @category models
 */
export type DType = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U64" | "U32" | "U16" | "U8" | "BOOL"

/**
 * @since 0.1.0
 * @category models
 */
export type TypedArray =
  | Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint8Array

/**
 * One tensor. `dtype` also accepts tfjs' names ("float32", "int32", "bool").
 * F16/BF16 data are raw 16-bit words in a `Uint16Array`; BOOL is a `Uint8Array`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TensorData {
  readonly dtype: DType | "float32" | "int32" | "bool"
  readonly shape: ReadonlyArray<number>
  readonly data: TypedArray
}

/**
 * A named set of tensors (the `tensors` and `checkpoint` kinds). Decoding
 * always gives safetensors dtype names.
 *
 * @since 0.1.0
 * @category models
 */
export type TensorSet = Readonly<Record<string, TensorData>>

/**
 * A metrics table.
 *
 * @since 0.1.0
 * @category models
 */
export interface Table {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
}

const DTYPES: Record<DType, { readonly bytes: number; readonly make: (b: ArrayBuffer, off: number, n: number) => TypedArray }> = {
  F64: { bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
  F32: { bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  F16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  BF16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  I64: { bytes: 8, make: (b, o, n) => new BigInt64Array(b, o, n) },
  I32: { bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  I16: { bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  I8: { bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  U64: { bytes: 8, make: (b, o, n) => new BigUint64Array(b, o, n) },
  U32: { bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  U16: { bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  U8: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  BOOL: { bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) }
}
const ALIASES: Record<string, DType> = { float32: "F32", int32: "I32", bool: "BOOL" }

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

// ---- safetensors ---------------------------------------------------------------

const littleEndian = endianness() === "LE"

interface Planned {
  readonly header: Uint8Array
  readonly parts: ReadonlyArray<Uint8Array>
  readonly size: number
}

/** Validate a tensor set and lay it out: header bytes plus one byte view per tensor. */
const plan = (kind: ArtifactKind, set: TensorSet, metadata?: Readonly<Record<string, string>>): Planned => {
  if (!littleEndian) throw new Bad("", "safetensors encoding needs a little-endian machine")
  const names = Object.keys(set).sort()
  const header: Record<string, unknown> = {}
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata
  const parts: Uint8Array[] = []
  let offset = 0
  for (const name of names) {
    if (name === "__metadata__") throw new Bad(name, "reserved tensor name")
    const t = set[name]
    const dtype = ALIASES[t.dtype] ?? (t.dtype as DType)
    const spec = DTYPES[dtype]
    if (spec === undefined) throw new Bad(name, `unknown dtype ${t.dtype}`)
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Bad(name, `bad shape [${t.shape.join(", ")}]`)
    const n = t.shape.reduce((a, b) => a * b, 1)
    if (t.data.length !== n) throw new Bad(name, `shape [${t.shape.join(", ")}] needs ${n} elements, data has ${t.data.length}`)
    if (t.data.BYTES_PER_ELEMENT !== spec.bytes)
      throw new Bad(name, `${dtype} needs ${spec.bytes}-byte elements, data is a ${t.data.constructor.name}`)
    const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + view.byteLength] }
    parts.push(view)
    offset += view.byteLength
  }
  void kind
  let json = canonicalJsonText(header)
  // Pad with spaces so the data section starts 8-byte aligned (as the reference writer does).
  json += " ".repeat((8 - ((8 + utf8.encode(json).byteLength) % 8)) % 8)
  const body = utf8.encode(json)
  const head = new Uint8Array(8 + body.byteLength)
  new DataView(head.buffer).setBigUint64(0, BigInt(body.byteLength), true)
  head.set(body, 8)
  return { header: head, parts, size: head.byteLength + offset }
}

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
  guard("tensors", () => {
    const p = plan("tensors", set, metadata)
    const out = new Uint8Array(p.size)
    out.set(p.header, 0)
    let off = p.header.byteLength
    for (const part of p.parts) {
      out.set(part, off)
      off += part.byteLength
    }
    return out
  })

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
  guard("checkpoint", () => {
    const p = plan("checkpoint", set, metadata)
    const SLICE = 4 * 1024 * 1024
    async function* body(): AsyncGenerator<Uint8Array> {
      yield p.header
      for (const part of p.parts)
        for (let o = 0; o < part.byteLength; o += SLICE) yield part.subarray(o, Math.min(part.byteLength, o + SLICE))
    }
    return { size: p.size, body: body() }
  })

interface HeaderEntry {
  readonly name: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly begin: number
  readonly end: number
}

const parseHeader = (kind: ArtifactKind, json: Uint8Array, dataBytes: number | null): HeaderEntry[] => {
  let parsed: unknown
  try {
    parsed = JSON.parse(fromUtf8.decode(json))
  } catch (e) {
    throw new Bad("header", `not JSON: ${(e as Error).message}`)
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Bad("header", "not an object")
  const entries: HeaderEntry[] = []
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") continue
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown }
    const spec = DTYPES[e.dtype as DType]
    if (spec === undefined) throw new Bad(name, `unknown dtype ${String(e.dtype)}`)
    const shape = e.shape
    const offs = e.data_offsets
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Bad(name, "bad shape")
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0))
      throw new Bad(name, "bad data_offsets")
    const [begin, end] = offs as [number, number]
    const n = (shape as number[]).reduce((a, b) => a * b, 1)
    if (end - begin !== n * spec.bytes) throw new Bad(name, `data_offsets span ${end - begin} bytes, shape needs ${n * spec.bytes}`)
    if (dataBytes !== null && end > dataBytes) throw new Bad(name, "data_offsets run past the end of the file")
    entries.push({ name, dtype: e.dtype as DType, shape: shape as number[], begin, end })
  }
  void kind
  return entries.sort((a, b) => a.begin - b.begin)
}

const headerLength = (b: Uint8Array, total: number | null): number => {
  if (b.byteLength < 8) throw new Bad("header", "shorter than the 8-byte length prefix")
  const n = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)
  if (n > BigInt(100 * 1024 * 1024) || (total !== null && Number(n) + 8 > total))
    throw new Bad("header", `implausible header length ${n}`)
  return Number(n)
}

/**
 * Decode a safetensors buffer. Tensors are views into `bytes` where their
 * alignment allows, else copies.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decodeTensors = (bytes: Uint8Array): Effect.Effect<Record<string, TensorData>, CodecError> =>
  guard("tensors", () => {
    if (!littleEndian) throw new Bad("", "safetensors decoding needs a little-endian machine")
    const n = headerLength(bytes, bytes.byteLength)
    const start = 8 + n
    const entries = parseHeader("tensors", bytes.subarray(8, start), bytes.byteLength - start)
    const out: Record<string, TensorData> = {}
    for (const e of entries) {
      const spec = DTYPES[e.dtype]
      const count = (e.end - e.begin) / spec.bytes
      let abs = bytes.byteOffset + start + e.begin
      let buffer = bytes.buffer as ArrayBuffer
      if (abs % spec.bytes !== 0) {
        buffer = bytes.slice(start + e.begin, start + e.end).buffer as ArrayBuffer
        abs = 0
      }
      out[e.name] = { dtype: e.dtype, shape: e.shape, data: spec.make(buffer, abs, count) }
    }
    return out
  })

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

const asCodecError = (e: unknown): CodecError =>
  e instanceof Bad
    ? new CodecError({ kind: "checkpoint", path: e.path, reason: e.reason })
    : new CodecError({ kind: "checkpoint", path: "", reason: e instanceof Error ? e.message : String(e) })

/**
 * A decoder that writes a safetensors byte stream straight into one typed
 * array per tensor: the only whole copy in memory is the result. Fed by
 * `CacheStore.scanArtifact`, whose pieces are borrowed.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tensorsDecoder = (): TensorsDecoder => {
  const d = rawDecoder()
  return {
    push: (piece) => Effect.try({ try: () => d.push(piece), catch: asCodecError }),
    end: () => Effect.try({ try: d.end, catch: asCodecError })
  }
}

/** The decoder's machinery, throwing `Bad`. */
const rawDecoder = () => {
  /** Header bytes seen so far (copied: pieces may be borrowed). */
  let pending: Uint8Array = new Uint8Array(0)
  let entries: HeaderEntry[] | null = null
  let headerLen = -1
  const out: Record<string, TensorData> = {}
  const targets: Array<{ e: HeaderEntry; dst: Uint8Array }> = []
  let dataPos = 0 // bytes of the data section consumed
  let t = 0
  const take = (piece: Uint8Array): void => {
    // Feed data-section bytes into the tensors they belong to.
    let off = 0
    while (off < piece.byteLength) {
      while (t < targets.length && dataPos >= targets[t].e.end) t++
      if (t >= targets.length) throw new Bad("", "bytes past the last tensor")
      const { e, dst } = targets[t]
      if (dataPos < e.begin) {
        const skip = Math.min(e.begin - dataPos, piece.byteLength - off)
        off += skip
        dataPos += skip
        continue
      }
      const n = Math.min(e.end - dataPos, piece.byteLength - off)
      dst.set(piece.subarray(off, off + n), dataPos - e.begin)
      off += n
      dataPos += n
    }
  }
  const push = (piece: Uint8Array): void => {
    if (!littleEndian) throw new Bad("", "safetensors decoding needs a little-endian machine")
    if (entries !== null) return take(piece)
    const joined = Buffer.concat([pending, piece])
    if (headerLen < 0 && joined.byteLength >= 8) headerLen = headerLength(joined, null)
    if (headerLen < 0 || joined.byteLength < 8 + headerLen) {
      pending = joined
      return
    }
    entries = parseHeader("checkpoint", joined.subarray(8, 8 + headerLen), null)
    for (const e of entries) {
      const spec = DTYPES[e.dtype]
      const buf = new ArrayBuffer(e.end - e.begin)
      out[e.name] = { dtype: e.dtype, shape: e.shape, data: spec.make(buf, 0, (e.end - e.begin) / spec.bytes) }
      targets.push({ e, dst: new Uint8Array(buf) })
    }
    pending = new Uint8Array(0)
    const rest = joined.subarray(8 + headerLen)
    if (rest.byteLength > 0) take(rest)
  }
  const end = (): Record<string, TensorData> => {
    if (entries === null) throw new Bad("header", "stream ended inside the header")
    const need = entries.reduce((m, e) => Math.max(m, e.end), 0)
    if (dataPos < need) throw new Bad("", `stream ended after ${dataPos} of ${need} data bytes`)
    return out
  }
  return { push, end }
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
      const d = rawDecoder()
      for await (const piece of body) d.push(piece)
      return d.end()
    },
    catch: asCodecError
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
