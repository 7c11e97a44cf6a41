import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import {
  canonicalJsonText, decodeOutput, decodeTable, decodeTensors, decodeTensorsStream, decodeValue, tensorsDecoder, encodeOutput,
  encodeTable, encodeTensors, encodeTensorsStream, encodeValue, tableRows, type TensorSet
} from "../../src/cache/codec.js"
import { failure, pieces } from "./helpers.js"

const run = Effect.runPromise
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const collect = async (it: AsyncIterable<Uint8Array>) => {
  const parts: Buffer[] = []
  for await (const p of it) parts.push(Buffer.from(p))
  return Buffer.concat(parts)
}

describe("value codec", () => {
  it("is canonical: key order, whitespace and number spelling do not change the bytes", async () => {
    const a = await run(encodeValue({ b: [1, 2.5, { z: true, a: null }], a: "x", u: undefined }))
    const b = await run(encodeValue(JSON.parse('{ "a": "x", "b": [1.0, 25e-1, {"a": null, "z": true}] }')))
    assert.equal(text(a), '{"a":"x","b":[1,2.5,{"a":null,"z":true}]}')
    assert.deepEqual(a, b)
    assert.deepEqual(await run(decodeValue(a)), { a: "x", b: [1, 2.5, { a: null, z: true }] })
    assert.equal(canonicalJsonText(-0), "0")
  })

  it("fails closed on what JSON would silently change, naming the field", async () => {
    for (const [v, path] of [
      [{ a: { b: NaN } }, "a.b"],
      [{ x: [1, Infinity] }, "x[1]"],
      [{ n: 1n }, "n"],
      [[undefined], "[0]"],
      [{ m: new Map() }, "m"],
      [{ d: new Date(0) }, "d"],
      [{ t: new Float32Array(2) }, "t"]
    ] as const) {
      const e = await failure(encodeValue(v))
      assert.equal(e._tag, "CodecError")
      assert.equal(e.path, path)
    }
  })
})

describe("table codec", () => {
  it("normalises row objects to columns and rows", async () => {
    const rows = [{ task: "mnist", acc: 0.9 }, { task: "cifar", acc: 0.5, extra: 1 }]
    const bytes = await run(encodeTable(rows))
    const t = await run(decodeTable(bytes))
    assert.deepEqual(t, { columns: ["task", "acc", "extra"], rows: [["mnist", 0.9, null], ["cifar", 0.5, 1]] })
    assert.deepEqual(await run(encodeTable(t)), bytes)
    assert.deepEqual(tableRows(t)[1], { task: "cifar", acc: 0.5, extra: 1 })
  })

  it("rejects a ragged table", async () => {
    const e = await failure(encodeTable({ columns: ["a", "b"], rows: [[1, 2], [3]] }))
    assert.equal(e.path, "rows[1]")
  })
})

describe("tensors codec (safetensors)", () => {
  const set: TensorSet = {
    "w.weight": { dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) },
    ids: { dtype: "int32", shape: [3], data: new Int32Array([7, -8, 9]) },
    mask: { dtype: "BOOL", shape: [1], data: new Uint8Array([1]) },
    empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
    big: { dtype: "I64", shape: [1], data: new BigInt64Array([2n ** 40n]) }
  }

  it("writes the documented layout: u64 header length, sorted JSON header, 8-aligned data", async () => {
    const b = await run(encodeTensors(set))
    const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true))
    assert.equal((8 + n) % 8, 0)
    const header = JSON.parse(text(b.subarray(8, 8 + n)))
    assert.deepEqual(Object.keys(header), ["big", "empty", "ids", "mask", "w.weight"])
    assert.deepEqual(header.ids, { data_offsets: [8, 20], dtype: "I32", shape: [3] })
    assert.equal(b.byteLength, 8 + n + 8 + 0 + 12 + 1 + 24)
  })

  it("round-trips, whole and streamed, and the stream equals the buffer", async () => {
    const b = await run(encodeTensors(set))
    const streamed = await run(encodeTensorsStream(set))
    assert.deepEqual(await collect(streamed.body), Buffer.from(b))
    assert.equal(streamed.size, b.byteLength)
    const back = await run(decodeTensors(b))
    const back2 = await run(decodeTensorsStream(pieces(b, [5, 1, 13])))
    for (const d of [back, back2]) {
      assert.deepEqual([...d["w.weight"].data as Float32Array], [1, 2, 3, 4, 5, 6.5])
      assert.deepEqual(d["w.weight"].shape, [2, 3])
      assert.equal(d.ids.dtype, "I32")
      assert.deepEqual([...d.ids.data as Int32Array], [7, -8, 9])
      assert.deepEqual([...d.big.data as BigInt64Array], [2n ** 40n])
      assert.equal(d.empty.data.length, 0)
    }
    // Insertion order does not matter.
    const reordered = Object.fromEntries(Object.entries(set).reverse())
    assert.deepEqual(await run(encodeTensors(reordered)), b)
  })

  it("decodes from borrowed pieces: one reused buffer, overwritten after every push", async () => {
    const b = await run(encodeTensors(set))
    for (const size of [3, 7, 64, b.byteLength]) {
      const d = tensorsDecoder()
      const scratch = new Uint8Array(size)
      for (let off = 0; off < b.byteLength; off += size) {
        const n = Math.min(size, b.byteLength - off)
        scratch.set(b.subarray(off, off + n))
        await run(d.push(scratch.subarray(0, n)))
        scratch.fill(0xee) // what a reused read buffer does next
      }
      const back = await run(d.end())
      assert.deepEqual([...back["w.weight"].data as Float32Array], [1, 2, 3, 4, 5, 6.5], `pieces of ${size}`)
      assert.deepEqual([...back.ids.data as Int32Array], [7, -8, 9])
      assert.deepEqual([...back.big.data as BigInt64Array], [2n ** 40n])
    }
    const short = tensorsDecoder()
    await run(short.push(b.subarray(0, 12)))
    assert.match((await failure(short.end())).reason, /inside the header/)
  })

  it("rejects a shape/data mismatch and a wrong array type, naming the tensor", async () => {
    const e1 = await failure(encodeTensors({ x: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } }))
    assert.equal(e1.path, "x")
    const e2 = await failure(encodeTensors({ y: { dtype: "F64", shape: [2], data: new Float32Array(2) } }))
    assert.equal(e2.path, "y")
  })

  it("rejects truncated or garbled files", async () => {
    const b = await run(encodeTensors(set))
    assert.equal((await failure(decodeTensors(b.subarray(0, b.byteLength - 3))))._tag, "CodecError")
    assert.equal((await failure(decodeTensors(new Uint8Array(4))))._tag, "CodecError")
    assert.equal((await failure(decodeTensorsStream(pieces(b.subarray(0, b.byteLength - 3), [7]))))._tag, "CodecError")
  })

  it("reads a safetensors file written by the Hugging Face writer (F16 weights)", async () => {
    const file = fileURLToPath(new URL("../fixtures/clip-ref/clip-gelu/model_f16.safetensors", import.meta.url))
    const bytes = new Uint8Array(readFileSync(file))
    const t = await run(decodeTensors(bytes))
    const names = Object.keys(t)
    assert.ok(names.length > 10)
    for (const name of names) {
      assert.equal(t[name].data.length, t[name].shape.reduce((a, b) => a * b, 1))
    }
    const streamed = await run(decodeTensorsStream(pieces(bytes, [65536])))
    assert.deepEqual(Object.keys(streamed).sort(), names.sort())
    const again = await run(decodeTensors(await run(encodeTensors(t))))
    for (const name of names) assert.deepEqual(Buffer.from(again[name].data.buffer, again[name].data.byteOffset, again[name].data.byteLength), Buffer.from(t[name].data.buffer, t[name].data.byteOffset, t[name].data.byteLength))
  })
})

describe("encodeOutput / decodeOutput", () => {
  it("dispatches on the declared kind", async () => {
    const v = await run(encodeOutput("value", { a: 1 }))
    assert.deepEqual(await run(decodeOutput("value", v as Uint8Array)), { a: 1 })
    const ck = await run(encodeOutput("checkpoint", { x: { dtype: "F32", shape: [1], data: new Float32Array([3]) } }))
    assert.ok(!(ck instanceof Uint8Array))
    const bytes = await collect(ck as AsyncIterable<Uint8Array>)
    const d = (await run(decodeOutput("checkpoint", bytes))) as Record<string, { data: Float32Array }>
    assert.deepEqual([...d.x.data], [3])
  })
})
