/**
 * The safetensors format (an 8-byte little-endian header length, a JSON
 * header of `name -> {dtype, shape, data_offsets}` plus an optional
 * `__metadata__` string map, then the raw tensor bytes), read defensively
 * and written canonically.
 *
 * Every number in the header is checked against the real byte length before
 * anything is allocated, so a corrupt or hostile file gives a
 * `SafetensorsError` naming the file and the tensor, never a crash or a
 * huge allocation. Floating-point tensors of any width read as float32.
 *
 * @since 0.1.0
 */
import { SafetensorsError } from "./errors.js"

/**
 * Element types of the format and their sizes in bytes.
 *
 * @since 0.1.0
 * @category models
 */
export const dtypeSizes = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1
} as const

/** @since 0.1.0 @category models */
export type SafetensorsDtype = keyof typeof dtypeSizes

/**
 * One tensor's place in the file; `begin` / `end` are absolute byte offsets
 * into the file's bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface SafetensorsEntry {
  readonly name: string
  readonly dtype: SafetensorsDtype
  readonly shape: ReadonlyArray<number>
  readonly begin: number
  readonly end: number
}

/**
 * A parsed file: its metadata, its entries by name, and the bytes they
 * point into.
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

/** The format's own limit on the header (100 MB). */
const MAX_HEADER = 100_000_000

const isNonNegInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0

/**
 * Parses and validates a whole file held in memory. `file` names it in
 * errors.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseSafetensors = (bytes: Uint8Array, file = "<bytes>"): SafetensorsFile => {
  const fail = (reason: string, tensor?: string): never => {
    throw new SafetensorsError(tensor === undefined ? { file, reason } : { file, reason, tensor })
  }
  if (bytes.length < 8) fail(`file is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLen = view.getBigUint64(0, true)
  if (headerLen > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLen} is beyond the file (${bytes.length - 8} bytes after the length field); truncated or not a safetensors file`)
  }
  const n = Number(headerLen)
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the format's limit of ${MAX_HEADER} bytes`)
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)))
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header is not a JSON object")
  const dataStart = 8 + n
  const dataLength = bytes.length - dataStart
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
    if (e > dataLength) {
      fail(`data_offsets [${b}, ${e}] are out of range: the data section has ${dataLength} bytes (file truncated?)`, name)
    }
    const size = dtypeSizes[dtype as SafetensorsDtype]
    const count = (shape as number[]).reduce((a, s) => a * s, 1)
    if (count * size !== e - b) {
      fail(`shape [${(shape as number[]).join(", ")}] of ${dtype} needs ${count * size} bytes but data_offsets span ${e - b}`, name)
    }
    entries.set(name, { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin: dataStart + b, end: dataStart + e })
  }
  const sorted = [...entries.values()].filter((x) => x.end > x.begin).sort((x, y) => x.begin - y.begin)
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!
    const cur = sorted[i]!
    if (cur.begin < prev.end) {
      fail(`data overlaps tensor "${prev.name}" (bytes [${cur.begin - dataStart}, ${cur.end - dataStart}) and [${prev.begin - dataStart}, ${prev.end - dataStart}))`, cur.name)
    }
  }
  return { file, metadata, entries, bytes }
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
 * Writes float32 tensors (in the given order) with string metadata; the
 * header is padded with spaces to a multiple of 8 bytes, as the reference
 * writer does, so the data is aligned.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serializeSafetensors = (tensors: ReadonlyArray<TensorToWrite>, metadata: Readonly<Record<string, string>> = {}): Uint8Array => {
  const header: Record<string, unknown> = {}
  if (Object.keys(metadata).length > 0) header["__metadata__"] = metadata
  let offset = 0
  for (const t of tensors) {
    const count = t.shape.reduce((a, s) => a * s, 1)
    if (count !== t.data.length) {
      throw new SafetensorsError({ file: "<write>", tensor: t.name, reason: `shape [${t.shape.join(", ")}] holds ${count} values, data has ${t.data.length}` })
    }
    header[t.name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + 4 * count] }
    offset += 4 * count
  }
  let json = new TextEncoder().encode(JSON.stringify(header))
  const padded = Math.ceil(json.length / 8) * 8
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20)
    p.set(json)
    json = p
  }
  const out = new Uint8Array(8 + json.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  let at = 8 + json.length
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at)
    at += t.data.byteLength
  }
  return out
}
