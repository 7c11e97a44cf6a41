import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { classMeans, herding, nearestMeanClassify } from "../../src/methods/icarl.js"

test("herding picks the sample nearest the mean first, then the one that best restores it", () => {
  // unit features; mu = ([1,0] + [0,1] + [.6,.8] + [-.6,.8]) / 4 = [.25, .65]
  // k=1: the largest mu.phi: [.25, .65, .67, .37] -> index 2
  // k=2: |mu - (phi_2 + phi_i)/2|^2: i=0 .365, i=1 .065, i=3 .085 -> index 1
  const f = [[1, 0], [0, 1], [0.6, 0.8], [-0.6, 0.8]]
  assert.deepEqual(herding(f, 2), [2, 1])
  assert.deepEqual(herding(f, 10).slice().sort(), [0, 1, 2, 3])
})

test("herding normalises features (scale does not change the choice)", () => {
  assert.deepEqual(herding([[10, 0], [0, 3], [3, 4], [-1.2, 1.6]], 2), [2, 1])
})

test("nearest-mean-of-exemplars classification", () => {
  const means = classMeans([[1, 0], [2, 0.1], [0, 1], [0.1, 3]], [0, 0, 1, 1], 3)
  assert.deepEqual(means[2], [0, 0])
  const pred = nearestMeanClassify(tf.tensor2d([[5, 1], [1, 4], [-1, 0.2]]), means)
  assert.deepEqual(pred, [0, 1, 1])
})
