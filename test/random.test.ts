// The one generator keeps every stream the three it replaced gave (methods'
// makeRng, data's mulberry32 / mix / permutation, CLIP's Gaussian init):
// these numbers were drawn from them, and cached results depend on them.
import { test } from "node:test"
import assert from "node:assert/strict"
import { gaussian, makeRng, mix, mulberry32, permutation } from "../src/random.js"

test("makeRng (methods): the same seeds give the same numbers", () => {
  const r = makeRng(42)
  assert.deepEqual([r.next(), r.next(), r.next()], [0.1778232182841748, 0.6313992536161095, 0.49404995795339346])
  assert.deepEqual([r.int(10), r.int(1000), r.int(7)], [8, 617, 3])
  assert.deepEqual(r.permutation(10), [7, 9, 5, 3, 8, 2, 4, 1, 0, 6])
  const f = r.fork()
  assert.deepEqual([f.next(), f.int(100)], [0.45339952199719846, 29])
  assert.equal(r.next(), 0.4967502916697413)
  const neg = makeRng(-5)
  assert.deepEqual([neg.next(), neg.next()], [0.3927035154774785, 0.005399486282840371])
  assert.equal(makeRng(2 ** 33 + 3).next(), 0.35033765714615583)
})

test("mulberry32, mix and permutation (data): the same seeds give the same numbers", () => {
  const m = mulberry32(7)
  assert.deepEqual([m.uint32(), m.uint32()], [50271532, 266108690])
  assert.deepEqual([m.next(), m.int(50), m.pick(["a", "b", "c", "d"])], [0.97690763277933, 34, "c"])
  assert.deepEqual([mix(), mix(1), mix(1, 2, 3), mix(0xffffffff, -1)], [1730237177, 187942701, 1165329092, 1516591879])
  assert.deepEqual([...permutation(12, 3)], [2, 11, 7, 5, 3, 9, 8, 10, 6, 1, 0, 4])
})

test("gaussian (CLIP weights): the same seeds give the same numbers", () => {
  assert.deepEqual([...gaussian(5, 0.02, 7)], [0.04654347896575928, -0.043899837881326675, 0.027404967695474625, -0.010528252460062504, -0.0212984848767519])
  assert.deepEqual([...gaussian(3, 1, 2 ** 40 + 5)], [-1.1305996179580688, 1.003854751586914, -0.8756846785545349])
})
