import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { geodesicFlowKernel, geodlLoss } from "../../src/methods/geodl.js"
import { rowSpaceBasis, symmetricEigen } from "../../src/methods/internal/linalg.js"
import { close, values } from "./helpers.js"

test("symmetric eigen-decomposition recovers A = V diag(l) V^T", () => {
  const a = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]
  const { values: l, vectors: v } = symmetricEigen(a)
  assert.ok(l[0] >= l[1] && l[1] >= l[2])
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    const r = v[i].reduce((s, _, k) => s + v[i][k] * l[k] * v[j][k], 0)
    assert.ok(close(r, a[i][j], 1e-9))
  }
})

test("rowSpaceBasis spans the rows' principal directions (orthonormal)", () => {
  const b = rowSpaceBasis([[2, 0, 0], [0, 1, 0], [3, 0, 0]], 1)
  assert.ok(close(Math.abs(b[0][0]), 1, 1e-9) && close(b[1][0], 0, 1e-9))
  const wide = rowSpaceBasis([[1, 2, 0, 0], [0, 0, 1, 0]], 2) // d > n: through the n x n Gram
  const dot = (i: number, j: number) => wide.reduce((s, r) => s + r[i] * r[j], 0)
  assert.ok(close(dot(0, 0), 1, 1e-9) && close(dot(1, 1), 1, 1e-9) && close(dot(0, 1), 0, 1e-9))
})

test("the geodesic flow kernel between orthogonal lines, by hand", () => {
  // Phi(nu) = [cos(nu pi/2), sin(nu pi/2)], nu in {0, .25, .5, .75, 1}
  // Q11 = mean cos^2 = 0.5, Q22 = 0.5, Q12 = mean cos sin = (0 + .35355 + .5 + .35355 + 0)/5 = 0.241421
  const q = geodesicFlowKernel([[1], [0]], [[0], [1]], 5)
  assert.ok(close(q[0][0], 0.5, 1e-6) && close(q[1][1], 0.5, 1e-6) && close(q[0][1], 0.2414214, 1e-6) && close(q[1][0], 0.2414214, 1e-6))
  // 1 - zo Q zn / sqrt(zo Q zo * zn Q zn) = 1 - 0.241421 / 0.5
  const l = geodlLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, 1]]), tf.tensor2d(q))
  assert.ok(close(values(l)[0], 1 - 0.2414214 / 0.5, 1e-5))
})

test("identical subspaces give the projector P P^T and zero loss for identical features", () => {
  const p = [[Math.SQRT1_2], [Math.SQRT1_2]]
  const q = geodesicFlowKernel(p, p)
  assert.ok(close(q[0][0], 0.5, 1e-9) && close(q[0][1], 0.5, 1e-9))
  const z = tf.tensor2d([[1, 2], [3, 1]])
  assert.ok(Math.abs(values(geodlLoss(z, z, tf.tensor2d(q)))[0]) < 1e-6)
})
