/**
 * A-GEM (Chaudhry et al., ICLR 2019): one reference gradient `g_ref` of the
 * memory loss on a random memory batch per step; if the new gradient `g`
 * would increase it (`g . g_ref < 0`), use the projection
 * `g~ = g - (g . g_ref / g_ref . g_ref) g_ref`, otherwise `g` unchanged.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { tokenRows } from "./data.js"
import { trainsText } from "./finetune.js"
import type { Method } from "./method.js"
import { gradDot, memoryLoss, type ReplayMemory } from "./replay.js"
import { sampleIndices } from "./vocabulary.js"

type Grads = ReadonlyArray<tf.Tensor | undefined>

/**
 * A-GEM's projection of `g` (tensors aligned by variable); returns new tensors.
 *
 * @since 0.1.0
 * @category combinators
 */
export const agemProject = (g: Grads, ref: Grads): Array<tf.Tensor | undefined> => {
  const dot = gradDot(g, ref)
  if (dot >= 0) return g.map((x) => (x === undefined ? undefined : tf.clone(x)))
  const factor = dot / Math.max(gradDot(ref, ref), 1e-12)
  return g.map((x, i) => {
    const r = ref[i]
    return x === undefined ? undefined : r === undefined ? tf.clone(x) : tf.tidy(() => tf.sub(x, tf.mul(r, factor)))
  })
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AgemOptions {
  readonly memory: ReplayMemory
  /** Memory samples per reference gradient (default: the batch size). */
  readonly memoryBatch?: number
}

/**
 * Gradient of the memory loss on `rows`, aligned with `variables`.
 *
 * @since 0.1.0
 * @category utils
 */
export const memoryGradient = (
  model: Parameters<typeof memoryLoss>[0],
  memory: ReplayMemory,
  rows: ReadonlyArray<number>,
  variables: ReadonlyArray<tf.Variable>,
  classTexts: () => tf.Tensor2D,
): Array<tf.Tensor | undefined> => {
  const { value, grads } = tf.variableGrads(() => memoryLoss(model, memory, rows, classTexts()), variables as tf.Variable[])
  value.dispose()
  return variables.map((v) => grads[v.name] ?? undefined)
}

/**
 * Class-prompt features for memory losses (shared by GEM and A-GEM): fixed
 * when the text tower is frozen, recomputed inside the tape when it is trained.
 *
 * @since 0.1.0
 * @category utils
 */
export const classTextsFor = (s: Parameters<Method["setup"]>[0]): { get: () => tf.Tensor2D; dispose: () => void } => {
  const tokens = tokenRows(s.session.classTokens)
  if (trainsText(s.part)) return { get: () => s.model.encodeText(tokens), dispose: () => {} }
  const fixed = tf.tidy(() => s.model.encodeText(tokens))
  return { get: () => fixed, dispose: () => fixed.dispose() }
}

/**
 * A-GEM as a method (no-op while the memory is empty).
 *
 * @since 0.1.0
 * @category constructors
 */
export const agem = (options: AgemOptions): Method => ({
  name: "A-GEM",
  setup: (s) => {
    const memory = options.memory
    if (memory.images.size === 0) return { dispose: () => {} }
    const texts = classTextsFor(s)
    const k = options.memoryBatch ?? s.batchSize
    return {
      adjustGradients: (grads) => {
        const ref = memoryGradient(s.model, memory, sampleIndices(s.rng, memory.images.size, k), s.variables, texts.get)
        const out = agemProject(grads, ref)
        ref.forEach((r) => r?.dispose())
        return out
      },
      dispose: () => texts.dispose(),
    }
  },
})
