// Canonical JSON is the pre-image of every cache key and the bytes of every
// cached value and table: these texts were produced by the three copies the
// project had before (cache codec, scheduler keys, result grouping), and must
// never change.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect, Either } from "effect"
import { canonicalJson, canonicalJsonText, NotJsonError } from "../../src/formats/canonicalJson.js"
import { canonicalJsonText as codecText, encodeValue } from "../../src/cache/codec.js"
import { canonicalJson as keyJson, canonicalJsonUnsafe, UnhashableValueError } from "../../src/scheduler/hash.js"
import { settingKey } from "../../src/eval/results.js"

const pinned: ReadonlyArray<readonly [unknown, string]> = [
  [{ b: [1, 2.5, { z: true, a: null }], a: "x", u: undefined }, '{"a":"x","b":[1,2.5,{"a":null,"z":true}]}'],
  [{ nested: { y: { q: 1, p: [{ d: 4, c: 3 }] }, x: 0 } }, '{"nested":{"x":0,"y":{"p":[{"c":3,"d":4}],"q":1}}}'],
  // Sorted by UTF-16 code units: integer-like keys are not put first, as JSON.stringify would.
  [{ "10": 1, "9": 2, a: 3, B: 4, _: 5, é: 6, z: 7, "": 8 }, '{"":8,"10":1,"9":2,"B":4,"_":5,"a":3,"z":7,"é":6}'],
  [
    [-0, 0, 1, 1.0, 1e21, 1e-7, 123456789012345680000, 0.1 + 0.2, -1.5e-300, 5e-324, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER],
    "[0,0,1,1,1e+21,1e-7,123456789012345680000,0.30000000000000004,-1.5e-300,5e-324,1.7976931348623157e+308,9007199254740991]"
  ],
  [-0, "0"],
  ["héllo \u2028 \"quoted\" \\ \n \t \u0000 \ud83d\ude00 \ud800", '"héllo \u2028 \\"quoted\\" \\\\ \\n \\t \\u0000 \ud83d\ude00 \\ud800"'],
  [{ ключ: "値", "\ud83d\ude00": "emoji" }, '{"ключ":"値","\ud83d\ude00":"emoji"}'],
  [[], "[]"],
  [{}, "{}"],
  [null, "null"],
  [true, "true"],
  ["", '""'],
  [Object.assign(Object.create(null) as object, { b: 1, a: 2 }), '{"a":2,"b":1}'],
  [{ lr: 0.00001, method: { name: "FT", alpha: 0.5 }, seed: 3 }, '{"lr":0.00001,"method":{"alpha":0.5,"name":"FT"},"seed":3}']
]

describe("canonical JSON", () => {
  it("gives the pinned text for representative values, in every place that writes it", async () => {
    for (const [value, text] of pinned) {
      assert.equal(canonicalJsonText(value), text)
      assert.deepEqual(canonicalJson(value), Either.right(text))
      assert.equal(codecText(value), text)
      assert.equal(new TextDecoder().decode(await Effect.runPromise(encodeValue(value))), text)
      assert.equal(canonicalJsonUnsafe(value), text)
      assert.deepEqual(keyJson(value), Either.right(text))
    }
    // Result groups are keyed by the same text.
    assert.equal(settingKey({ vocab: 10, alpha: 0.5, m: { b: [1, { d: 1, c: 2 }], a: -0 } }), '{"alpha":0.5,"m":{"a":0,"b":[1,{"c":2,"d":1}]},"vocab":10}')
  })

  it("refuses what JSON would silently change, naming where", () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = { back: cyclic }
    for (const [value, path, reason] of [
      [NaN, [], /non-finite number NaN/],
      [{ x: [1, Infinity] }, ["x", 1], /non-finite number Infinity/],
      [{ a: { b: -Infinity } }, ["a", "b"], /non-finite/],
      [{ n: 1n }, ["n"], /bigint/],
      [[undefined], [0], /undefined array element/],
      [{ m: new Map() }, ["m"], /instance of Map/],
      [{ d: new Date(0) }, ["d"], /instance of Date/],
      [{ t: new Float32Array(2) }, ["t"], /instance of Float32Array/],
      [{ f: () => 1 }, ["f"], /function/],
      [cyclic, ["self", "back"], /cyclic/]
    ] as const) {
      const r = canonicalJson(value)
      assert.ok(Either.isLeft(r))
      assert.ok(r.left instanceof NotJsonError)
      assert.deepEqual(r.left.path, path)
      assert.match(r.left.reason, reason)
      assert.throws(() => canonicalJsonText(value), NotJsonError)
      // Cache keys: an UnhashableValueError with a `$` path.
      const k = keyJson(value)
      assert.ok(Either.isLeft(k) && k.left instanceof UnhashableValueError)
      assert.equal(k.left.path, "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join(""))
      assert.throws(() => canonicalJsonUnsafe(value), UnhashableValueError)
    }
  })
})
