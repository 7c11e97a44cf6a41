/**
 * The optimisation options of the training loop and their defaults, apart
 * from the loop itself so that parameter schemas and pipeline files read
 * them without loading TensorFlow.js.
 *
 * @since 0.1.0
 */
/**
 * Optimisation options. `clipNorm` 0 disables clipping, `decayEvery` 0
 * disables step decay; `maxSteps` caps the run (for smoke tests).
 *
 * @since 0.1.0
 * @category models
 */
export interface TrainOptions {
  readonly learningRate: number
  readonly epochs: number
  readonly batchSize: number
  readonly clipNorm: number
  /** Multiply the learning rate by `decayFactor` every `decayEvery` epochs. */
  readonly decayEvery: number
  readonly decayFactor: number
  readonly seed: number
  readonly beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  readonly maxSteps?: number
  /**
   * Train to a plateau: after each epoch `hooks.score` is read, and training
   * stops once it has not improved by more than `minDelta` for `patience`
   * epochs in a row (`epochs` is then the maximum). Unset: a fixed schedule.
   */
  readonly patience?: number
  readonly minDelta?: number
}

/**
 * The authors' settings for ViT-B/32 (one-session training): Adam, lr 1e-6,
 * 15 epochs, batch 100, gradient-norm clip 1.0, x0.1 every 10 epochs, seed 10.
 * Adam's betas/epsilon are PyTorch's defaults.
 *
 * @since 0.1.0
 * @category constants
 */
export const paperDefaults: TrainOptions = {
  learningRate: 1e-6,
  epochs: 15,
  batchSize: 100,
  clipNorm: 1,
  decayEvery: 10,
  decayFactor: 0.1,
  seed: 10,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
}

/**
 * Starting points for the small synthetic-world model trained from scratch
 * (pretraining) and then fine-tuned; to be tuned with the pipelines.
 *
 * @since 0.1.0
 * @category constants
 */
export const smallPretrainDefaults: TrainOptions = {
  ...paperDefaults,
  learningRate: 1e-3,
  epochs: 20,
  batchSize: 64,
  decayEvery: 15,
}

/**
 * @since 0.1.0
 * @category constants
 */
export const smallFinetuneDefaults: TrainOptions = {
  ...paperDefaults,
  learningRate: 1e-4,
  epochs: 10,
  batchSize: 32,
  decayEvery: 0,
}
