/**
 * The safetensors format, read and written in one place: an 8-byte
 * little-endian header length N, N bytes of JSON header
 * (`name -> {dtype, shape, data_offsets}` plus an optional `__metadata__`
 * string map, padded with spaces so the data is 8-byte aligned), then the
 * raw tensor bytes.
 *
 * Reading is defensive: every number in the header is checked against the
 * real byte length (or, for a stream, against the bytes that arrive) before
 * anything is allocated, so a corrupt or hostile file gives a
 * `SafetensorsError` naming the file and the tensor, never a crash or a
 * huge allocation. Files are read whole (`parseSafetensors`) or pushed piece
 * by piece (`safetensorsDecoder`) straight into one array per tensor.
 *
 * Writing lays a file out as its header plus views of the tensors' own
 * memory, so a model goes to a file or the cache as a stream without being
 * concatenated. Two header styles exist because stored bytes (and so content
 * hashes) depend on them: `"canonical"` (tensors sorted by name, canonical
 * JSON: the cache's `tensors` kind) and `"ordered"` (tensors in the given
 * order, fields `dtype, shape, data_offsets`: CLIP checkpoints, the
 * Hugging Face writer's layout).
 *
 * No tfjs here: tensors are plain typed arrays with a dtype and a shape.
 *
 * @since 0.1.0
 */
import { endianness } from "node:os"
import { Data } from "effect"
import { canonicalJsonText } from "./canonicalJson.js"

/**
 * A safetensors file (or bytes, or a stream of them) that cannot be read,
 * or tensors that cannot be written. `file` names the source (`"<bytes>"`,
 * `"<write>"` when there is none); `tensor` the entry at fault.
 *
 * @since 0.1.0
 * @category errors
 */
export class SafetensorsError extends Data.TaggedError("SafetensorsError")<{
  readonly file: string
  readonly reason: string
  readonly tensor?: string
}> {
  override get message(): string {
    return `${this.file}: ${this.tensor === undefined ? "" : `tensor "${this.tensor}": `}${this.reason}`
  }
}

/**
 * Element types of the format and their sizes in bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const dtypeSizes = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1
} as const

/**
 * safetensors dtypes.
 *
 * @since 0.1.0
 * @category models
 */
export type DType = keyof typeof dtypeSizes

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
 * A named set of tensors. Reading always gives safetensors dtype names.
 *
 * @since 0.1.0
 * @category models
 */
export type TensorSet = Readonly<Record<string, TensorData>>

/**
 * One tensor's place in a file; `begin` / `end` are absolute byte offsets
 * into the file's bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsEntry {
  readonly name: string
  readonly dtype: DType
  readonly shape: ReadonlyArray<number>
  readonly begin: number
  readonly end: number
}

/**
 * A parsed file: its metadata, its entries by name (in header order), and
 * the bytes they point into.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsFile {
  readonly file: string
  readonly metadata: Readonly<Record<string, string>>
  readonly entries: ReadonlyMap<string, SafetensorsEntry>
  readonly bytes: Uint8Array
}

const ALIASES: Readonly<Record<string, DType>> = { float32: "F32", int32: "I32", bool: "BOOL" }

const VIEWS: Record<DType, (b: ArrayBuffer, off: number, n: number) => TypedArray> = {
  F64: (b, o, n) => new Float64Array(b, o, n),
  F32: (b, o, n) => new Float32Array(b, o, n),
  F16: (b, o, n) => new Uint16Array(b, o, n),
  BF16: (b, o, n) => new Uint16Array(b, o, n),
  I64: (b, o, n) => new BigInt64Array(b, o, n),
  I32: (b, o, n) => new Int32Array(b, o, n),
  I16: (b, o, n) => new Int16Array(b, o, n),
  I8: (b, o, n) => new Int8Array(b, o, n),
  U64: (b, o, n) => new BigUint64Array(b, o, n),
  U32: (b, o, n) => new Uint32Array(b, o, n),
  U16: (b, o, n) => new Uint16Array(b, o, n),
  U8: (b, o, n) => new Uint8Array(b, o, n),
  BOOL: (b, o, n) => new Uint8Array(b, o, n)
}

/** The format's own limit on the header (100 MB). */
const MAX_HEADER = 100_000_000

const littleEndian = endianness() === "LE"
const utf8 = new TextEncoder()

const isNonNegInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

type Fail = (reason: string, tensor?: string) => never

const failer = (file: string): Fail => (reason, tensor) => {
  throw new SafetensorsError(tensor === undefined ? { file, reason } : { file, reason, tensor })
}

// ---- reading -------------------------------------------------------------------

/**
 * The header length from the first 8 bytes. `total` is the file's length
 * when known (a stream does not know it).
 */
const headerLength = (bytes: Uint8Array, total: number | null, fail: Fail): number => {
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`)
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
  if (total !== null && headerLen > BigInt(total - 8)) {
    fail(`header length ${headerLen} is beyond the file (${total - 8} bytes after the length field); truncated or not a safetensors file`)
  }
  if (headerLen > BigInt(MAX_HEADER)) fail(`header length ${headerLen} exceeds the format's limit of ${MAX_HEADER} bytes`)
  return Number(headerLen)
}

/**
 * Validates a header. `dataLength` is the data section's length when known;
 * offsets in the entries are absolute (`dataStart` added).
 */
const parseHeader = (
  json: Uint8Array,
  dataStart: number,
  dataLength: number | null,
  fail: Fail
): { metadata: Record<string, string>; entries: Map<string, SafetensorsEntry> } => {
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json))
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object")
  const metadata: Record<string, string> = {}
  const entries = new Map<string, SafetensorsEntry>()
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("__metadata__ is not an object")
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__ value of "${k}" is not a string`)
        metadata[k] = v as string
      }
      continue
    }
    if (typeof raw !== "object" || raw === null) fail("entry is not an object", name)
    const { dtype, shape, data_offsets } = raw as Record<string, unknown>
    if (typeof dtype !== "string" || !(dtype in dtypeSizes)) fail(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(dtypeSizes).join(", ")})`, name)
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name)
    if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isNonNegInt) || data_offsets[0] > data_offsets[1]) {
      fail(`data_offsets ${JSON.stringify(data_offsets)} is not [begin, end] with 0 <= begin <= end`, name)
    }
    const [b, e] = data_offsets as [number, number]
    if (dataLength !== null && e > dataLength) {
      fail(`data_offsets [${b}, ${e}] are out of range: the data section has ${dataLength} bytes (file truncated?)`, name)
    }
    const size = dtypeSizes[dtype as DType]
    const count = (shape as number[]).reduce((a, s) => a * s, 1)
    if (count * size !== e - b) {
      fail(`shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${count * size} bytes but data_offsets span ${e - b}`, name)
    }
    entries.set(name, { name, dtype: dtype as DType, shape: shape as number[], begin: dataStart + b, end: dataStart + e })
  }
  const sorted = [...entries.values()].filter((x) => x.end > x.begin).sort((x, y) => x.begin - y.begin)
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    const cur = sorted[i]!
    if (cur.begin < prev.end) {
      fail(`data overlaps tensor "${prev.name}" (bytes [${cur.begin - dataStart}, ${cur.end - dataStart}) and [${prev.begin - dataStart}, ${prev.end - dataStart}))`, cur.name)
    }
  }
  return { metadata, entries }
}

/**
 * Parses and validates a whole file held in memory. `file` names it in
 * errors. Throws a `SafetensorsError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseSafetensors = (bytes: Uint8Array, file = "<bytes>"): SafetensorsFile => {
  const fail = failer(file)
  const n = headerLength(bytes, bytes.length, fail)
  const { metadata, entries } = parseHeader(bytes.subarray(8, 8 + n), 8 + n, bytes.length - 8 - n, fail)
  return { file, metadata, entries, bytes }
}

/** Entries in data order (a stable sort: empty tensors keep their header order). */
const byOffset = (f: { readonly entries: ReadonlyMap<string, SafetensorsEntry> }): SafetensorsEntry[] =>
  [...f.entries.values()].sort((a, b) => a.begin - b.begin)

/**
 * A parsed file's tensors with their own dtypes, in data order: views into
 * the file's bytes where their alignment allows, else copies.
 *
 * @since 0.1.0
 * @category utils
 */
export const readTensors = (f: SafetensorsFile): Record<string, TensorData> => {
  if (!littleEndian) throw new SafetensorsError({ file: f.file, reason: "safetensors decoding needs a little-endian machine" })
  const out: Record<string, TensorData> = {}
  for (const e of byOffset(f)) {
    const bytes = dtypeSizes[e.dtype]
    let abs = f.bytes.byteOffset + e.begin
    let buffer = f.bytes.buffer as ArrayBuffer
    if (abs % bytes !== 0) {
      buffer = f.bytes.slice(e.begin, e.end).buffer as ArrayBuffer
      abs = 0
    }
    out[e.name] = { dtype: e.dtype, shape: e.shape, data: VIEWS[e.dtype](buffer, abs, (e.end - e.begin) / bytes) }
  }
  return out
}

const f16Table = (() => {
  // Every half-precision bit pattern, widened once: decoding is then a lookup.
  const t = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1
    const e = (h >> 10) & 0x1f
    const m = h & 0x3ff
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m === 0 ? s * Infinity : NaN) : s * (1 + m / 1024) * 2 ** (e - 15)
  }
  return t
})()

/**
 * A tensor's values widened (or narrowed, for 64-bit types) to float32.
 *
 * @since 0.1.0
 * @category utils
 */
export const readFloat32 = (f: SafetensorsFile, entry: SafetensorsEntry): Float32Array => {
  // A copy: aligned, and detached from the file buffer. Uint8Array's slice, not the argument's own:
  // a Node Buffer's slice is a view, whose .buffer would be the whole file.
  const raw = Uint8Array.prototype.slice.call(f.bytes, entry.begin, entry.end)
  const buf = raw.buffer
  switch (entry.dtype) {
    case "F32": return new Float32Array(buf)
    case "F64": return Float32Array.from(new Float64Array(buf))
    case "F16": {
      const src = new Uint16Array(buf)
      const out = new Float32Array(src.length)
      for (let i = 0; i < src.length; i++) out[i] = f16Table[src[i]!]!
      return out
    }
    case "BF16": {
      const src = new Uint16Array(buf)
      const bits = new Uint32Array(src.length)
      for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16
      return new Float32Array(bits.buffer)
    }
    case "I64": return Float32Array.from(new BigInt64Array(buf), (v) => Number(v))
    case "U64": return Float32Array.from(new BigUint64Array(buf), (v) => Number(v))
    case "I32": return Float32Array.from(new Int32Array(buf))
    case "U32": return Float32Array.from(new Uint32Array(buf))
    case "I16": return Float32Array.from(new Int16Array(buf))
    case "U16": return Float32Array.from(new Uint16Array(buf))
    case "I8": return Float32Array.from(new Int8Array(buf))
    case "U8": case "BOOL": return Float32Array.from(raw)
  }
}

/**
 * An incremental reader: `push` the bytes in order, then `end`. Both throw
 * a `SafetensorsError`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsDecoder {
  /** Feed the next bytes. They may be borrowed: nothing keeps a reference to `piece` after `push` returns. */
  readonly push: (piece: Uint8Array) => void
  /** The tensors (in data order), once every byte was pushed. */
  readonly end: () => Record<string, TensorData>
}

/**
 * A reader that writes a byte stream straight into one typed array per
 * tensor: the only whole copy in memory is the result.
 *
 * @since 0.1.0
 * @category constructors
 */
export const safetensorsDecoder = (file = "<stream>"): SafetensorsDecoder => {
  const fail = failer(file)
  /** Header bytes seen so far (copied: pieces may be borrowed). */
  let pending: Uint8Array = new Uint8Array(0)
  let headerLen = -1
  let targets: Array<{ e: SafetensorsEntry; dst: Uint8Array }> | null = null
  const out: Record<string, TensorData> = {}
  let pos = 0 // absolute position of the next byte
  let t = 0
  const take = (piece: Uint8Array): void => {
    // Feed data-section bytes into the tensors they belong to.
    const ts = targets!
    let off = 0
    while (off < piece.byteLength) {
      while (t < ts.length && pos >= ts[t]!.e.end) t++
      if (t >= ts.length) fail("bytes past the last tensor")
      const { e, dst } = ts[t]!
      if (pos < e.begin) {
        const skip = Math.min(e.begin - pos, piece.byteLength - off)
        off += skip
        pos += skip
        continue
      }
      const n = Math.min(e.end - pos, piece.byteLength - off)
      dst.set(piece.subarray(off, off + n), pos - e.begin)
      off += n
      pos += n
    }
  }
  const push = (piece: Uint8Array): void => {
    if (!littleEndian) fail("safetensors decoding needs a little-endian machine")
    if (targets !== null) return take(piece)
    const joined = Buffer.concat([pending, piece])
    if (headerLen < 0 && joined.byteLength >= 8) headerLen = headerLength(joined, null, fail)
    if (headerLen < 0 || joined.byteLength < 8 + headerLen) {
      pending = joined
      return
    }
    const start = 8 + headerLen
    const { entries } = parseHeader(joined.subarray(8, start), start, null, fail)
    targets = []
    for (const e of byOffset({ entries })) {
      const buf = new ArrayBuffer(e.end - e.begin)
      out[e.name] = { dtype: e.dtype, shape: e.shape, data: VIEWS[e.dtype](buf, 0, (e.end - e.begin) / dtypeSizes[e.dtype]) }
      targets.push({ e, dst: new Uint8Array(buf) })
    }
    pending = new Uint8Array(0)
    pos = start
    const rest = joined.subarray(start)
    if (rest.byteLength > 0) take(rest)
  }
  const end = (): Record<string, TensorData> => {
    if (targets === null) fail("stream ended inside the header")
    const need = targets!.reduce((m, x) => Math.max(m, x.e.end), 8 + headerLen)
    if (pos < need) fail(`stream ended after ${pos - 8 - headerLen} of ${need - 8 - headerLen} data bytes`)
    return out
  }
  return { push, end }
}

// ---- writing ---------------------------------------------------------------------

/**
 * A tensor to write, with its name.
 *
 * @since 0.1.0
 * @category models
 */
export interface NamedTensor extends TensorData {
  readonly name: string
}

/**
 * How the header is written (see the module comment): `"canonical"` sorts
 * the tensors by name and writes canonical JSON; `"ordered"` keeps the
 * given order and writes `dtype, shape, data_offsets` as listed.
 *
 * @since 0.1.0
 * @category models
 */
export type HeaderStyle = "canonical" | "ordered"

/**
 * A file laid out for writing: its header bytes (length prefix included)
 * and one view per tensor, in file order, borrowing the tensors' memory.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsLayout {
  readonly header: Uint8Array
  readonly parts: ReadonlyArray<Uint8Array>
  /** Bytes of the whole file. */
  readonly size: number
}

/**
 * Validates tensors and lays them out (no tensor byte is copied). Throws a
 * `SafetensorsError` (file `"<write>"`) naming the tensor at fault.
 *
 * @since 0.1.0
 * @category constructors
 */
export const layoutSafetensors = (
  tensors: ReadonlyArray<NamedTensor>,
  options: { readonly style: HeaderStyle; readonly metadata?: Readonly<Record<string, string>> }
): SafetensorsLayout => {
  const fail = failer("<write>")
  if (!littleEndian) fail("safetensors encoding needs a little-endian machine")
  const list = options.style === "canonical" ? [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) : tensors
  const header: Record<string, unknown> = {}
  const metadata = options.metadata
  if (metadata !== undefined && Object.keys(metadata).length > 0) header.__metadata__ = metadata
  const parts: Uint8Array[] = []
  let offset = 0
  for (const t of list) {
    if (t.name === "__metadata__") fail("reserved tensor name", t.name)
    if (Object.hasOwn(header, t.name)) fail("a second tensor of this name", t.name)
    const dtype = ALIASES[t.dtype] ?? (t.dtype as DType)
    const bytes = dtypeSizes[dtype]
    if (bytes === undefined) fail(`unknown dtype ${t.dtype}`, t.name)
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`bad shape [${t.shape.join(", ")}]`, t.name)
    const n = t.shape.reduce((a, b) => a * b, 1)
    if (t.data.length !== n) fail(`shape [${t.shape.join(", ")}] needs ${n} elements, data has ${t.data.length}`, t.name)
    if (t.data.BYTES_PER_ELEMENT !== bytes) fail(`${dtype} needs ${bytes}-byte elements, data is a ${t.data.constructor.name}`, t.name)
    const view = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)
    header[t.name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + view.byteLength] }
    parts.push(view)
    offset += view.byteLength
  }
  let json = options.style === "canonical" ? canonicalJsonText(header) : JSON.stringify(header)
  // Pad with spaces so the data section starts 8-byte aligned (as the reference writer does).
  json += " ".repeat((8 - (utf8.encode(json).byteLength % 8)) % 8)
  const body = utf8.encode(json)
  const head = new Uint8Array(8 + body.byteLength)
  new DataView(head.buffer).setBigUint64(0, BigInt(body.byteLength), true)
  head.set(body, 8)
  return { header: head, parts, size: head.byteLength + offset }
}

/**
 * A laid-out file as one buffer.
 *
 * @since 0.1.0
 * @category utils
 */
export const safetensorsBytes = (layout: SafetensorsLayout): Uint8Array => {
  const out = new Uint8Array(layout.size)
  out.set(layout.header, 0)
  let off = layout.header.byteLength
  for (const part of layout.parts) {
    out.set(part, off)
    off += part.byteLength
  }
  return out
}

const SLICE = 4 * 1024 * 1024

/**
 * A laid-out file as a stream of views into the tensors' own memory (no
 * copy), in slices of at most 4 MiB: what a checkpoint is handed to the
 * cache's `putArtifact` as. The same bytes as `safetensorsBytes`.
 *
 * @since 0.1.0
 * @category utils
 */
export const safetensorsStream = (layout: SafetensorsLayout): AsyncIterable<Uint8Array> => ({
  async *[Symbol.asyncIterator]() {
    yield layout.header
    for (const part of layout.parts)
      for (let o = 0; o < part.byteLength; o += SLICE) yield part.subarray(o, Math.min(part.byteLength, o + SLICE))
  }
})

/**
 * A float32 tensor to write.
 *
 * @since 0.1.0
 * @category models
 */
export interface TensorToWrite {
  readonly name: string
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
}

/**
 * Writes float32 tensors in the given order (`"ordered"` header) with
 * string metadata, as one buffer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serializeSafetensors = (tensors: ReadonlyArray<TensorToWrite>, metadata: Readonly<Record<string, string>> = {}): Uint8Array =>
  safetensorsBytes(layoutSafetensors(tensors.map((t) => ({ name: t.name, dtype: "F32", shape: t.shape, data: t.data })), { style: "ordered", metadata }))
