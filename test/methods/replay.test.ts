import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { imagesFromTensor } from "../../src/methods/data.js"
import { concatSources, subsetSource } from "../../src/methods/replay.js"
import { values } from "./helpers.js"

const source = (offset: number) => imagesFromTensor(tf.tensor4d([offset, offset + 1, offset + 2], [3, 1, 1, 1]))

test("subsetSource reads the chosen rows of another source", () => {
  const s = subsetSource(source(10), [2, 0])
  assert.equal(s.size, 2)
  assert.deepEqual(values(s.batch([0, 1, 0])), [12, 10, 12])
})

test("concatSources indexes across its parts in order", () => {
  const s = concatSources([source(0), source(100)])
  assert.equal(s.size, 6)
  assert.deepEqual(values(s.batch([5, 0, 3, 2])), [102, 0, 100, 2])
})
