// The safetensors reader on good and bad files: every malformed file gives a
// SafetensorsError naming the file and the tensor, never a crash.
import { test } from "node:test"
import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import { Effect } from "effect"
import { encodeTensors, encodeTensorsStream } from "../../src/cache/codec.js"
import { customConfig } from "../../src/clip/config.js"
import { SafetensorsError } from "../../src/clip/errors.js"
import { createClip } from "../../src/clip/model.js"
import {
  layoutSafetensors, parseSafetensors, readFloat32, readTensors, safetensorsBytes, safetensorsDecoder, safetensorsStream, serializeSafetensors
} from "../../src/formats/safetensors.js"

/** A file from a header object and a data section. */
const build = (header: unknown, data: Uint8Array, headerLenOverride?: bigint): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, headerLenOverride ?? BigInt(json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}

const rejects = (bytes: Uint8Array, pattern: RegExp, tensor?: string) =>
  assert.throws(() => parseSafetensors(bytes, "bad.safetensors"), (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `not a SafetensorsError: ${String(e)}`)
    assert.equal(e.file, "bad.safetensors")
    if (tensor !== undefined) assert.equal(e.tensor, tensor)
    assert.match(e.message, pattern)
    assert.match(e.message, /bad\.safetensors/)
    return true
  })

test("write then read: names, shapes, values and metadata survive", () => {
  const a = new Float32Array([1.5, -2, 3.25, 0, 7, 8])
  const bytes = serializeSafetensors([{ name: "a", shape: [2, 3], data: a }, { name: "s", shape: [], data: new Float32Array([4]) }], { format: "pt", note: "x" })
  const jsonLen = Number(new DataView(bytes.buffer).getBigUint64(0, true))
  assert.equal(jsonLen % 8, 0) // data aligned
  const f = parseSafetensors(bytes)
  assert.deepEqual(f.metadata, { format: "pt", note: "x" })
  assert.deepEqual(f.entries.get("a")!.shape, [2, 3])
  assert.deepEqual([...readFloat32(f, f.entries.get("a")!)], [...a])
  assert.deepEqual([...readFloat32(f, f.entries.get("s")!)], [4])
})

test("F16, BF16, F64 and I64 read as float32", () => {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]) // 1, -2, 0.33325, 2^-24, inf
  const bf16 = new Uint16Array([0x3f80, 0xc040, 0x3eab]) // 1, -3, 0.333984375
  const f64 = new Float64Array([0.1, -1e10])
  const i64 = new BigInt64Array([5n, -7n])
  const parts = [new Uint8Array(f16.buffer), new Uint8Array(bf16.buffer), new Uint8Array(f64.buffer), new Uint8Array(i64.buffer)]
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  const offs: number[][] = []
  for (const p of parts) { data.set(p, at); offs.push([at, at + p.length]); at += p.length }
  const f = parseSafetensors(build({
    h: { dtype: "F16", shape: [5], data_offsets: offs[0] },
    b: { dtype: "BF16", shape: [3], data_offsets: offs[1] },
    d: { dtype: "F64", shape: [2], data_offsets: offs[2] },
    i: { dtype: "I64", shape: [2], data_offsets: offs[3] }
  }, data))
  const h = readFloat32(f, f.entries.get("h")!)
  assert.deepEqual([h[0], h[1], h[3], h[4]], [1, -2, 2 ** -24, Infinity])
  assert.ok(Math.abs(h[2]! - 0.33325195) < 1e-7)
  assert.deepEqual([...readFloat32(f, f.entries.get("b")!)], [1, -3, 0.333984375])
  assert.deepEqual([...readFloat32(f, f.entries.get("d")!)], [Math.fround(0.1), -1e10])
  assert.deepEqual([...readFloat32(f, f.entries.get("i")!)], [5, -7])
})

test("truncated file and header length beyond the file", () => {
  rejects(new Uint8Array(5), /truncated/)
  const good = serializeSafetensors([{ name: "w", shape: [4], data: new Float32Array(4) }])
  rejects(good.subarray(0, good.length - 3), /out of range|truncated/, "w")
  rejects(good.subarray(0, 20), /header length \d+ is beyond the file/)
  // A length near 2^63 must fail before anything is allocated.
  rejects(build({}, new Uint8Array(0), 0x7fff_ffff_ffff_fff0n), /beyond the file/)
})

test("bad JSON, unknown dtype, bad shape, inconsistent sizes", () => {
  const junk = new Uint8Array(8 + 4)
  new DataView(junk.buffer).setBigUint64(0, 4n, true)
  junk.set(new TextEncoder().encode("{no]"), 8)
  rejects(junk, /not valid UTF-8 JSON/)
  rejects(build([1, 2], new Uint8Array(0)), /not a JSON object/)
  rejects(build({ w: { dtype: "F8_E9", shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unknown dtype "F8_E9"/, "w")
  rejects(build({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/, "w")
  rejects(build({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets span 8/, "w")
  rejects(build({ w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, new Uint8Array(8)), /data_offsets/, "w")
  rejects(build({ __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__/)
})

test("offsets out of range and overlapping tensors", () => {
  rejects(build({ w: { dtype: "F32", shape: [2], data_offsets: [8, 16] } }, new Uint8Array(12)), /out of range/, "w")
  rejects(build({
    a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
    b: { dtype: "F32", shape: [2], data_offsets: [4, 12] }
  }, new Uint8Array(12)), /overlaps tensor "a"/, "b")
})

// ---- stored bytes: the hashes of checkpoints and tensor artifacts already in caches ----

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")
const collect = async (it: AsyncIterable<Uint8Array>) => {
  const parts: Buffer[] = []
  for await (const p of it) parts.push(Buffer.from(p))
  return new Uint8Array(Buffer.concat(parts))
}
const headerText = (b: Uint8Array) => new TextDecoder().decode(b.subarray(8, 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true))))

test("a CLIP checkpoint has the bytes it had, whole and streamed", async () => {
  // The sha256 below is of `toSafetensors()` as written before the writers were one.
  const config = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 16, visionLayers: 1, visionHeads: 2, textWidth: 16, textLayers: 1, textHeads: 2, embedDim: 8, vocabSize: 40, contextLength: 6 })
  const model = createClip(config, 7)
  try {
    const whole = model.toSafetensors()
    assert.equal(whole.byteLength, 48428)
    assert.equal(sha256(whole), "2fb6f404688c40c1da12c3c11b48bca8b935a7ebd758029b6c4c6193f3b827e9")
    const stream = model.toSafetensorsStream()
    model.dispose() // the stream holds the values it was made from
    assert.deepEqual(await collect(stream), whole)
  } finally {
    model.dispose()
  }
})

test("ordered writer: given order, fields dtype/shape/data_offsets, metadata as given", () => {
  const b = serializeSafetensors(
    [{ name: "z", shape: [2], data: new Float32Array([1, 2]) }, { name: "10", shape: [1], data: new Float32Array([3]) }, { name: "a", shape: [0], data: new Float32Array(0) }, { name: "9", shape: [1, 1], data: new Float32Array([-0]) }],
    { format: "pt", b: "2", a: "1" }
  )
  assert.equal(sha256(b), "44265aba1589b912580a5fccc6eead4aa47e3c84ed63c6afb646f99cebb8ba89")
  assert.equal(headerText(b), '{"9":{"dtype":"F32","shape":[1,1],"data_offsets":[12,16]},"10":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"__metadata__":{"format":"pt","b":"2","a":"1"},"z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[12,12]}}    ')
})

test("the cache's tensors layout: names sorted, canonical header; whole, streamed and laid out alike", async () => {
  const set = {
    "w.weight": { dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
    ids: { dtype: "int32", shape: [3], data: new Int32Array([7, -8, 9]) },
    mask: { dtype: "BOOL", shape: [1], data: new Uint8Array([1]) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    big: { dtype: "I64", shape: [1], data: new BigInt64Array([2n ** 40n]) },
    "10": { dtype: "F16", shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    "9": { dtype: "U8", shape: [3], data: new Uint8Array([1, 2, 3]) },
    Zed: { dtype: "F64", shape: [1], data: new Float64Array([0.1]) }
  } as const
  const meta = { format: "pt", b: "2", a: "1" }
  const b = await Effect.runPromise(encodeTensors(set, meta))
  assert.equal(b.byteLength, 580)
  assert.equal(sha256(b), "b9893b228d41c457f35845cf777b8e4b2f7f93ad1c005fc4df3ad723b9539573")
  assert.ok(headerText(b).startsWith('{"10":{"data_offsets":[0,4],"dtype":"F16","shape":[2]},"9":{"data_offsets":[4,7],"dtype":"U8","shape":[3]},"Zed":'))
  const s = await Effect.runPromise(encodeTensorsStream(set, meta))
  assert.equal(s.size, 580)
  assert.deepEqual(await collect(s.body), b)
  const laid = layoutSafetensors(Object.entries(set).map(([name, t]) => ({ name, ...t })), { style: "canonical", metadata: meta })
  assert.deepEqual(safetensorsBytes(laid), b)
  assert.deepEqual(await collect(safetensorsStream(laid)), b)
  // Read back by the one reader, whole and pushed in pieces.
  const whole = readTensors(parseSafetensors(b))
  const d = safetensorsDecoder()
  for (let o = 0; o < b.byteLength; o += 5) d.push(b.subarray(o, Math.min(b.byteLength, o + 5)))
  for (const got of [whole, d.end()]) {
    assert.deepEqual(Object.keys(got).sort(), ["10", "9", "Zed", "big", "empty", "ids", "mask", "w.weight"])
    assert.deepEqual([...(got["10"]!.data as Uint16Array)], [0x3c00, 0xc000])
    assert.deepEqual([...(got["9"]!.data as Uint8Array)], [1, 2, 3])
    assert.deepEqual([...(got.Zed!.data as Float64Array)], [0.1])
    assert.equal(got.ids!.dtype, "I32")
  }
})

test("writing refuses a bad tensor, naming it", () => {
  const bad = (t: Parameters<typeof layoutSafetensors>[0], re: RegExp, name: string) =>
    assert.throws(() => layoutSafetensors(t, { style: "ordered" }), (e: unknown) => e instanceof SafetensorsError && e.tensor === name && re.test(e.reason))
  bad([{ name: "x", dtype: "F32", shape: [2, 2], data: new Float32Array(3) }], /needs 4 elements/, "x")
  bad([{ name: "y", dtype: "F64", shape: [2], data: new Float32Array(2) }], /8-byte elements/, "y")
  bad([{ name: "__metadata__", dtype: "F32", shape: [0], data: new Float32Array(0) }], /reserved/, "__metadata__")
  bad([{ name: "d", dtype: "F32", shape: [1], data: new Float32Array(1) }, { name: "d", dtype: "F32", shape: [1], data: new Float32Array(1) }], /second tensor/, "d")
})
