import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { agemProject } from "../../src/methods/agem.js"
import { gemProject, solveGemDual } from "../../src/methods/gem.js"
import { close, values } from "./helpers.js"

const v = (...x: number[]) => [tf.tensor1d(x)]
const near = (a: number[], b: number[]) => assert.ok(a.every((x, i) => close(x, b[i], 1e-5)), `${a} != ${b}`)

test("A-GEM projects a conflicting gradient onto the reference's normal plane", () => {
  // g = [1, 0], g_ref = [-1, 1]: g.g_ref = -1, |g_ref|^2 = 2 -> g - (-1/2) g_ref = [0.5, 0.5]
  const out = agemProject(v(1, 0), v(-1, 1))
  near(values(out[0]!), [0.5, 0.5])
  assert.ok(Math.abs(values(out[0]!)[0] * -1 + values(out[0]!)[1]) < 1e-6) // now orthogonal to g_ref
})

test("A-GEM leaves a non-conflicting gradient unchanged", () => {
  near(values(agemProject(v(1, 0), v(1, 1))[0]!), [1, 0])
})

test("A-GEM handles gradients split over several variables", () => {
  // same vectors as the first test, split into two 1-element variables
  const out = agemProject([tf.tensor1d([1]), tf.tensor1d([0])], [tf.tensor1d([-1]), tf.tensor1d([1])])
  near([values(out[0]!)[0], values(out[1]!)[0]], [0.5, 0.5])
})

test("GEM with one constraint and margin 0 equals A-GEM", () => {
  near(values(gemProject(v(1, 0), [v(-1, 1)], 0)[0]!), [0.5, 0.5])
})

test("GEM with two constraints finds the closest gradient satisfying both", () => {
  // constraints z.[-1,1] >= 0 and z.[-1,-1] >= 0: the cone z0 <= -|z1|; closest to [1, 0] is [0, 0].
  // dual: Q = [[2,0],[0,2]], p = [-1,-1] -> v = [0.5, 0.5]
  near(solveGemDual([[2, 0], [0, 2]], [-1, -1]), [0.5, 0.5])
  near(values(gemProject(v(1, 0), [v(-1, 1), v(-1, -1)], 0)[0]!), [0, 0])
  // only the violated constraint binds: g = [1, 1], constraints [-1, 0] (violated) and [0, 1] (fine) -> [0, 1]
  const out = values(gemProject(v(1, 1), [v(-1, 0), v(0, 1)], 0)[0]!)
  near(out, [0, 1])
})

test("GEM's margin pushes the projected gradient into the constraint's interior", () => {
  const out = values(gemProject(v(1, 0), [v(-1, 1)], 0.5)[0]!)
  // v = max(0.5, 0.5) -> same as margin 0 here; with a larger margin the result moves further along g_ref
  near(out, [0.5, 0.5])
  const far = values(gemProject(v(1, 0), [v(-1, 1)], 1)[0]!)
  near(far, [0, 1])
  assert.ok(far[0] * -1 + far[1] > 0)
})
