/**
 * The one training loop every method runs: seeded shuffling into batches,
 * gradients by `tf.variableGrads`, optional gradient surgery (GEM), global
 * gradient-norm clipping, Adam with step decay, progress callbacks and
 * interruption between steps. Methods differ only in the loss they compute
 * inside the tape and in the hooks they pass here.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { makeAdam } from "./adam.js"
import { InvalidOptionError, NonFiniteLossError, TrainingInterruptedError } from "./errors.js"
import { makeRng } from "../random.js"

export { paperDefaults, smallFinetuneDefaults, smallPretrainDefaults, type TrainOptions } from "./trainOptions.js"
import type { TrainOptions } from "./trainOptions.js"

/**
 * One progress report, after each optimiser step.
 *
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  readonly step: number
  readonly total: number
  readonly epoch: number
  readonly learningRate: number
  readonly metrics: Readonly<Record<string, number>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TrainHooks {
  readonly onProgress?: (p: Progress) => void
  readonly signal?: AbortSignal
  /** A validation score (higher is better) read after each epoch; required by `options.patience`. */
  readonly score?: () => number | Promise<number>
  /** After each epoch, with its validation score when there is one. */
  readonly onEpoch?: (epoch: number, score: number | undefined) => void
}

/**
 * What one step computes inside the gradient tape: the loss to minimise and
 * any named scalars to report (their values are read after the step).
 *
 * @since 0.1.0
 * @category models
 */
export interface StepLoss {
  readonly loss: tf.Scalar
  readonly metrics?: Readonly<Record<string, tf.Scalar>>
}

type Grads = Array<tf.Tensor | undefined>

/**
 * A training problem for {@link train}.
 *
 * @since 0.1.0
 * @category models
 */
export interface TrainSpec {
  /** Method name, for errors and reports. */
  readonly name: string
  /** Examples per epoch; batches are drawn from a seeded permutation of 0..size-1. */
  readonly size: number
  /** Variables the loss is differentiated with respect to. */
  readonly variables: ReadonlyArray<tf.Variable>
  /** The loss of one batch (runs inside `tf.variableGrads`). */
  readonly loss: (batch: ReadonlyArray<number>, step: number) => StepLoss
  /**
   * When the optimiser updates other variables than the differentiated ones
   * (RKR's rectifiers), their gradients from those of `variables`.
   */
  readonly reparameterize?: {
    readonly variables: ReadonlyArray<tf.Variable>
    readonly beforeStep: () => void
    readonly gradients: (grads: Grads) => Grads
  }
  /** Gradient surgery before clipping (GEM / A-GEM); returns new tensors. */
  readonly adjustGradients?: (grads: Grads, step: number) => Grads
  /** After each update (logit-scale clamp, weight averaging). */
  readonly afterStep?: (step: number) => void
}

/**
 * Mean of each metric over an epoch, and the number of steps run.
 *
 * @since 0.1.0
 * @category models
 */
export interface TrainResult {
  readonly steps: number
  readonly epochs: ReadonlyArray<Readonly<Record<string, number>>>
  /** The validation score after each epoch, when `hooks.score` was given. */
  readonly scores: ReadonlyArray<number>
  /** Whether training stopped early at a plateau (`options.patience`). */
  readonly plateaued: boolean
}

/**
 * Learning rate at `epoch` under step decay.
 *
 * @since 0.1.0
 * @category utils
 */
export const learningRateAt = (options: TrainOptions, epoch: number): number =>
  options.decayEvery > 0 ? options.learningRate * Math.pow(options.decayFactor, Math.floor(epoch / options.decayEvery)) : options.learningRate

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: factor `maxNorm / (norm + 1e-6)` when below 1).
 * Returns new tensors and the norm before clipping.
 *
 * @since 0.1.0
 * @category utils
 */
export const clipByGlobalNorm = (grads: Grads, maxNorm: number): { grads: Grads; norm: number } => {
  const norm = globalNorm(grads)
  const factor = clipFactor(norm, maxNorm)
  return { grads: grads.map((g) => (g === undefined ? undefined : tf.mul(g, factor))), norm }
}

/**
 * The global L2 norm of a list of gradients (summed on the host).
 *
 * @since 0.1.0
 * @category utils
 */
export const globalNorm = (grads: Grads): number => {
  let sum = 0
  for (const g of grads) {
    if (g === undefined) continue
    const x = g.dataSync() as Float32Array
    for (let j = 0; j < x.length; j++) sum += x[j] * x[j]
  }
  return Math.sqrt(sum)
}

/** The factor `clip_grad_norm_` applies for a given norm. */
const clipFactor = (norm: number, maxNorm: number): number => (maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1)

const batchesOf = (order: number[], size: number): number[][] => {
  const out: number[][] = []
  for (let i = 0; i < order.length; i += size) out.push(order.slice(i, i + size))
  return out
}

const validate = (name: string, o: TrainOptions, size: number): void => {
  const bad = (option: string, reason: string) => new InvalidOptionError({ method: name, option, reason })
  if (!(o.learningRate > 0)) throw bad("learningRate", `must be > 0, got ${o.learningRate}`)
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw bad("epochs", `must be a positive integer, got ${o.epochs}`)
  if (!(Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw bad("batchSize", `must be a positive integer, got ${o.batchSize}`)
  if (!(o.clipNorm >= 0)) throw bad("clipNorm", `must be >= 0, got ${o.clipNorm}`)
  if (size < 1) throw bad("data", "has no examples")
  if (o.patience !== undefined && !(Number.isInteger(o.patience) && o.patience >= 1)) throw bad("patience", `must be a positive integer, got ${o.patience}`)
  if (o.minDelta !== undefined && !(o.minDelta >= 0)) throw bad("minDelta", `must be >= 0, got ${o.minDelta}`)
}

/**
 * Whether a run of validation scores has plateaued: the last `patience`
 * epochs brought no improvement of more than `minDelta` over the best score
 * before them.
 *
 * @since 0.1.0
 * @category utils
 */
export const plateaued = (scores: ReadonlyArray<number>, patience: number, minDelta = 0): boolean => {
  if (scores.length <= patience) return false
  const before = Math.max(...scores.slice(0, scores.length - patience))
  return scores.slice(scores.length - patience).every((s) => s <= before + minDelta)
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Run the training loop. Resolves with per-epoch mean metrics; rejects with
 * `TrainingInterruptedError` when `hooks.signal` aborts (checked between
 * steps: the model keeps the completed steps) and `NonFiniteLossError` when
 * the loss stops being finite. Tensor count is constant across steps.
 *
 * @since 0.1.0
 * @category constructors
 */
export const train = async (spec: TrainSpec, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> => {
  validate(spec.name, options, spec.size)
  if (options.patience !== undefined && hooks.score === undefined) {
    throw new InvalidOptionError({ method: spec.name, option: "patience", reason: "needs a validation score (the session has no validation split)" })
  }
  const rng = makeRng(options.seed)
  const stepsPerEpoch = Math.ceil(spec.size / options.batchSize)
  const total = Math.min(stepsPerEpoch * options.epochs, options.maxSteps ?? Infinity)
  const updated = spec.reparameterize?.variables ?? spec.variables
  const adam = makeAdam(updated, options)
  const epochs: Array<Record<string, number>> = []
  const scores: Array<number> = []
  let stop = false
  let step = 0
  try {
    for (let epoch = 0; epoch < options.epochs && step < total && !stop; epoch++) {
      const lr = learningRateAt(options, epoch)
      const sums: Record<string, number> = {}
      let count = 0
      for (const batch of batchesOf(rng.permutation(spec.size), options.batchSize)) {
        if (step >= total) break
        if (hooks.signal?.aborted) throw new TrainingInterruptedError({ method: spec.name, step, total })
        spec.reparameterize?.beforeStep()
        let kept: Record<string, tf.Scalar> = {}
        const { value, grads } = tf.variableGrads(() => {
          const out = spec.loss(batch, step)
          kept = Object.fromEntries(Object.entries(out.metrics ?? {}).map(([k, v]) => [k, tf.keep(v)]))
          return out.loss
        }, spec.variables as tf.Variable[])
        const metrics: Record<string, number> = { loss: value.dataSync()[0] }
        for (const [k, v] of Object.entries(kept)) metrics[k] = v.dataSync()[0]
        value.dispose()
        for (const v of Object.values(kept)) v.dispose()
        let aligned: Grads = spec.variables.map((v) => grads[v.name] ?? undefined)
        const release = (next: Grads) => {
          aligned.forEach((g) => g?.dispose())
          aligned = next
        }
        if (spec.reparameterize !== undefined) release(spec.reparameterize.gradients(aligned))
        if (spec.adjustGradients !== undefined) release(spec.adjustGradients(aligned, step))
        let gradScale = 1
        if (options.clipNorm > 0) {
          metrics.gradNorm = globalNorm(aligned)
          gradScale = clipFactor(metrics.gradNorm, options.clipNorm)
        }
        for (const [term, v] of Object.entries(metrics)) {
          if (!Number.isFinite(v) && term !== "gradNorm") throw new NonFiniteLossError({ method: spec.name, step, term, value: v })
        }
        adam.apply(aligned, lr, gradScale)
        release([])
        spec.afterStep?.(step)
        step += 1
        count += 1
        for (const [k, v] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + v
        hooks.onProgress?.({ step, total, epoch, learningRate: lr, metrics })
        await nextTick()
      }
      epochs.push(Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(count, 1)])))
      const score = hooks.score === undefined ? undefined : await hooks.score()
      if (score !== undefined) scores.push(score)
      hooks.onEpoch?.(epoch, score)
      if (options.patience !== undefined) stop = plateaued(scores, options.patience, options.minDelta ?? 0)
    }
  } finally {
    adam.dispose()
  }
  return { steps: step, epochs, scores, plateaued: stop }
}
