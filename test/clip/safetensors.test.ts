// The safetensors reader on good and bad files: every malformed file gives a
// SafetensorsError naming the file and the tensor, never a crash.
import { test } from "node:test"
import assert from "node:assert/strict"
import { SafetensorsError } from "../../src/clip/errors.js"
import { parseSafetensors, readFloat32, serializeSafetensors } from "../../src/clip/safetensors.js"

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
