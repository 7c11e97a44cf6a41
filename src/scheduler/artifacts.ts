/**
 * The bridge between stage values and cache artifacts: encode a stage's
 * output by its declared kind before `putArtifact`, decode an input artifact
 * into what the downstream stage receives. Stages never touch the cache.
 *
 * Encodings: value and table as canonical JSON (UTF-8); tensors as
 * safetensors (tensor names sorted, so equal sets give equal bytes);
 * checkpoint as the bytes the stage produced, streamed.
 *
 * @since 0.1.0
 */
import { Effect, Either, Schema, Stream } from "effect"
import type { CacheError } from "../cache/CacheError.js"
import type { CacheStoreService, ContentHash } from "../cache/CacheStore.js"
import type { AnyOutputSpec, CheckpointInput, TensorData, TensorDType, TensorSet } from "../dsl/Output.js"
import { StageFailed } from "./errors.js"
import { canonicalJson } from "./hash.js"

const DTYPES: Readonly<Record<TensorDType, { readonly st: string; readonly bytes: number; readonly make: (b: ArrayBuffer, n: number) => TensorData["data"] }>> = {
  float32: { st: "F32", bytes: 4, make: (b, n) => new Float32Array(b, 0, n) },
  int32: { st: "I32", bytes: 4, make: (b, n) => new Int32Array(b, 0, n) },
  uint8: { st: "U8", bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  bool: { st: "BOOL", bytes: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  int8: { st: "I8", bytes: 1, make: (b, n) => new Int8Array(b, 0, n) },
  int16: { st: "I16", bytes: 2, make: (b, n) => new Int16Array(b, 0, n) },
  float16: { st: "F16", bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  bfloat16: { st: "BF16", bytes: 2, make: (b, n) => new Uint16Array(b, 0, n) },
  float64: { st: "F64", bytes: 8, make: (b, n) => new Float64Array(b, 0, n) },
  int64: { st: "I64", bytes: 8, make: (b, n) => new BigInt64Array(b, 0, n) }
}
const FROM_ST = new Map(Object.entries(DTYPES).map(([k, v]) => [v.st, k as TensorDType]))

/**
 * Encode a tensor set as safetensors bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const encodeTensors = (set: TensorSet): Either.Either<Uint8Array, string> => {
  const names = Object.keys(set).sort()
  const header: Record<string, unknown> = {}
  let offset = 0
  for (const name of names) {
    const t = set[name]!
    const dt = DTYPES[t.dtype]
    if (dt === undefined) return Either.left(`tensor '${name}': unknown dtype ${String(t.dtype)}`)
    const count = t.shape.reduce((a, b) => a * b, 1)
    if (t.data.length !== count) return Either.left(`tensor '${name}': shape [${t.shape.join(", ")}] needs ${count} elements, data has ${t.data.length}`)
    const len = count * dt.bytes
    header[name] = { dtype: dt.st, shape: [...t.shape], data_offsets: [offset, offset + len] }
    offset += len
  }
  let json = JSON.stringify(header)
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " "
  const head = Buffer.from(json, "utf8")
  const out = new Uint8Array(8 + head.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true)
  out.set(head, 8)
  let at = 8 + head.length
  for (const name of names) {
    const d = set[name]!.data
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
    out.set(bytes, at)
    at += bytes.length
  }
  return Either.right(out)
}

/**
 * Decode safetensors bytes into a tensor set (data copied into aligned arrays).
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeTensors = (bytes: Uint8Array): Either.Either<TensorSet, string> => {
  try {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true))
    const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString("utf8")) as Record<string, { dtype: string; shape: Array<number>; data_offsets: [number, number] }>
    const base = 8 + n
    const out: Record<string, TensorData> = {}
    for (const [name, h] of Object.entries(header)) {
      if (name === "__metadata__") continue
      const dtype = FROM_ST.get(h.dtype)
      if (dtype === undefined) return Either.left(`tensor '${name}': unsupported dtype ${h.dtype}`)
      const [b, e] = h.data_offsets
      const copy = bytes.slice(base + b, base + e)
      out[name] = { dtype, shape: h.shape, data: DTYPES[dtype].make(copy.buffer, (e - b) / DTYPES[dtype].bytes) }
    }
    return Either.right(out)
  } catch (e) {
    return Either.left(`not a safetensors artifact: ${String(e)}`)
  }
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder()

/**
 * Encode and store a stage's output; fails with `StageFailed` naming the
 * stage when the value does not fit its declared kind.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storeOutput = (
  cache: CacheStoreService,
  spec: AnyOutputSpec,
  value: unknown,
  stage: string
): Effect.Effect<ContentHash, StageFailed | CacheError> =>
  Effect.suspend((): Effect.Effect<ContentHash, StageFailed | CacheError> => {
    const bad = (detail: string) => Effect.fail(new StageFailed({ stage, detail: `output (${spec.kind}): ${detail}` }))
    switch (spec.kind) {
      case "value":
      case "table": {
        if (spec.kind === "table" && !(Array.isArray(value) || (typeof value === "object" && value !== null && Array.isArray((value as { rows?: unknown }).rows)))) {
          return bad("expected {columns, rows} or an array of row objects")
        }
        const json = canonicalJson(value === undefined ? null : value)
        if (Either.isLeft(json)) return bad(json.left.message)
        return cache.putArtifact(spec.kind, utf8.encode(json.right))
      }
      case "tensors": {
        if (typeof value !== "object" || value === null) return bad("expected a record of {dtype, shape, data}")
        const bytes = encodeTensors(value as TensorSet)
        return Either.isLeft(bytes) ? bad(bytes.left) : cache.putArtifact("tensors", bytes.right)
      }
      case "checkpoint": {
        if (value instanceof Uint8Array) return cache.putArtifact("checkpoint", value)
        if (typeof value === "object" && value !== null && Symbol.asyncIterator in value) {
          return cache.putArtifact("checkpoint", value as AsyncIterable<Uint8Array>)
        }
        return bad("expected a Uint8Array or an AsyncIterable of Uint8Array chunks")
      }
    }
  })

/**
 * Read an input artifact and decode it for the stage that declared `spec`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadInput = (
  cache: CacheStoreService,
  spec: AnyOutputSpec,
  hash: ContentHash,
  stage: string,
  input: string
): Effect.Effect<unknown, StageFailed | CacheError> => {
  const bad = (detail: string) => new StageFailed({ stage, detail: `input '${input}' (${hash.slice(0, 12)}): ${detail}` })
  switch (spec.kind) {
    case "value":
    case "table":
      return Effect.flatMap(cache.readArtifact(hash), (bytes) => {
        let v: unknown
        try {
          v = JSON.parse(fromUtf8.decode(bytes))
        } catch (e) {
          return Effect.fail(bad(`not JSON: ${String(e)}`))
        }
        if (spec.schema === undefined) return Effect.succeed(v)
        return Schema.decodeUnknown(spec.schema)(v).pipe(Effect.mapError((e) => bad(e.message)))
      })
    case "tensors":
      return Effect.flatMap(cache.readArtifact(hash), (bytes) => {
        const r = decodeTensors(bytes)
        return Either.isLeft(r) ? Effect.fail(bad(r.left)) : Effect.succeed(r.right)
      })
    case "checkpoint": {
      const ref: CheckpointInput = {
        hash,
        bytes: () => Effect.runPromise(cache.readArtifact(hash)),
        stream: () => Stream.toAsyncIterable(cache.streamArtifact(hash))
      }
      return Effect.succeed(ref)
    }
  }
}
