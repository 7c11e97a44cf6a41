import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { broadcastMeta, broadcastShape, transposeMeta } from "../../src/backend/internal/layout.js"

describe("broadcast layout", () => {
  it("broadcastShape follows numpy rules and rejects mismatches", () => {
    assert.deepEqual(broadcastShape([3, 1, 5], [4, 1]), [3, 4, 5])
    assert.deepEqual(broadcastShape([], [2, 3]), [2, 3])
    assert.equal(broadcastShape([3, 4], [5]), undefined)
  })
  it("merges dimensions both operands walk contiguously", () => {
    // Same shape: one run of 60.
    assert.deepEqual([...broadcastMeta([3, 4, 5], [3, 4, 5], [3, 4, 5])], [1, 60, 1, 1])
    // Row vector: outer 12 rows (b stride 0), inner 5.
    assert.deepEqual([...broadcastMeta([3, 4, 5], [5], [3, 4, 5])], [2, 12, 5, 5, 1, 0, 1])
    // Column [4,1] against [3,4,5]: dims 3 and 4 are not mergeable for b.
    assert.deepEqual([...broadcastMeta([3, 4, 5], [4, 1], [3, 4, 5])], [3, 3, 4, 5, 20, 5, 1, 0, 1, 0])
    // Scalar: rank 1 run with b stride 0.
    assert.deepEqual([...broadcastMeta([6, 7], [], [6, 7])], [1, 42, 1, 0])
  })
})

describe("transpose layout", () => {
  it("drops size-1 dims and merges input dims that stay adjacent", () => {
    // Attention head split [b, l, h, hd] -> [b, h, l, hd]: hd stays contiguous.
    assert.deepEqual([...transposeMeta([2, 5, 3, 4], [0, 2, 1, 3])], [4, 2, 5, 3, 4, 0, 2, 1, 3])
    // [a, b, c] -> [c, a, b]: (a, b) merge into one input dim.
    assert.deepEqual([...transposeMeta([2, 3, 4], [2, 0, 1])], [2, 6, 4, 1, 0])
    // Identity after dropping ones: a single run.
    assert.deepEqual([...transposeMeta([1, 5, 1, 3], [2, 1, 0, 3])], [1, 15, 0])
  })
})
