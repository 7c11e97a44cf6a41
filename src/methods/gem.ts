/**
 * GEM (Lopez-Paz & Ranzato, NeurIPS 2017): one constraint per earlier
 * session k, `<g~, g_k> >= 0` with `g_k` the gradient of the memory loss on
 * session k's samples. When the new gradient `g` violates any, it is replaced
 * by the closest gradient that satisfies all of them, found through GEM's
 * dual quadratic program
 *
 *   min_v  1/2 v^T (G G^T) v + (G g)^T v   s.t. v >= margin,   g~ = G^T v + g,
 *
 * which has one variable per earlier session; we solve it exactly enough by
 * projected coordinate descent (GEM's code calls quadprog; `margin` is its
 * `memory_strength`). With one constraint and margin 0 this is A-GEM's
 * projection.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { classTextsFor, memoryGradient } from "./agem.js"
import { defaultsOf } from "./definition.js"
import type { Method } from "./method.js"
import { GemOptions as GemSchema } from "./options.js"
import { gradDot, type ReplayMemory } from "./replay.js"
import { makeRng } from "../random.js"

/**
 * Solve `min_v 1/2 v^T Q v + p^T v, v >= margin` by projected coordinate
 * descent (Q symmetric positive semi-definite, small).
 *
 * @since 0.1.0
 * @category utils
 */
export const solveGemDual = (Q: ReadonlyArray<ReadonlyArray<number>>, p: ReadonlyArray<number>, margin = 0, sweeps = 500): number[] => {
  const n = p.length
  const v = new Array<number>(n).fill(margin)
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let change = 0
    for (let k = 0; k < n; k++) {
      if (Q[k][k] <= 1e-12) continue
      let grad = p[k]
      for (let j = 0; j < n; j++) grad += Q[k][j] * v[j]
      const next = Math.max(margin, v[k] - grad / Q[k][k])
      change = Math.max(change, Math.abs(next - v[k]))
      v[k] = next
    }
    if (change < 1e-10) break
  }
  return v
}

type Grads = ReadonlyArray<tf.Tensor | undefined>

/**
 * GEM's projection of `g` against constraint gradients `constraints`
 * (tensors aligned by variable); returns new tensors. Unchanged when no
 * constraint is violated.
 *
 * @since 0.1.0
 * @category combinators
 */
export const gemProject = (g: Grads, constraints: ReadonlyArray<Grads>, margin = 0): Array<tf.Tensor | undefined> => {
  const dots = constraints.map((c) => gradDot(g, c))
  if (dots.every((d) => d >= 0)) return g.map((x) => (x === undefined ? undefined : tf.clone(x)))
  const Q = constraints.map((a) => constraints.map((b) => gradDot(a, b)))
  const v = solveGemDual(Q, dots, margin)
  return g.map((x, i) =>
    x === undefined
      ? undefined
      : tf.tidy(() => constraints.reduce<tf.Tensor>((acc, c, k) => (c[i] === undefined ? acc : tf.add(acc, tf.mul(c[i]!, v[k]))), x)))
}

/**
 * @since 0.1.0
 * @category models
 */
export interface GemOptions {
  readonly memory: ReplayMemory
  /** Memory samples per session per constraint gradient (default: the batch size). */
  readonly memoryBatch?: number
  /** GEM's `memory_strength` (default: GEM's setting, in `GemOptions` of options.ts). */
  readonly margin?: number
}

/**
 * GEM as a method (no-op while the memory is empty).
 *
 * @since 0.1.0
 * @category constructors
 */
export const gem = (options: GemOptions): Method => ({
  name: "GEM",
  setup: (s) => {
    const memory = options.memory
    if (memory.images.size === 0) return { dispose: () => {} }
    const bySession = new Map<number, number[]>()
    memory.sessions.forEach((k, i) => bySession.set(k, [...(bySession.get(k) ?? []), i]))
    const texts = classTextsFor(s)
    const k = options.memoryBatch ?? s.batchSize
    const rng = makeRng(Math.floor(s.rng.next() * 2 ** 31))
    return {
      adjustGradients: (grads) => {
        const constraints = [...bySession.values()].map((rows) =>
          memoryGradient(s.model, memory, rng.permutation(rows.length).slice(0, k).map((j) => rows[j]), s.variables, texts.get))
        const out = gemProject(grads, constraints, options.margin ?? defaultsOf(GemSchema).margin)
        constraints.forEach((c) => c.forEach((t) => t?.dispose()))
        return out
      },
      dispose: () => texts.dispose(),
    }
  },
})
