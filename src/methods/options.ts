/**
 * The options of the built-in methods, each declared once: a Schema whose
 * fields carry their defaults (`option(schema, default)`). The stage
 * parameters validate against these, the implementations take their option
 * types and defaults from them (`OptionsOf`, `defaultsOf`). An option left
 * out of the parameters stays out of them (and of the cache key); the
 * implementation then uses the default. The few options with
 * `Schema.optionalWith` defaults are filled in by decoding, as they always
 * were, since the stages read them (memory and reference sizes, IMM's alpha,
 * VR-LwF's vocabulary).
 *
 * Tensor-free.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { NonNegative, NonNegativeInt, Positive, PositiveInt } from "../schemas.js"
import { option } from "./definition.js"

const memoryPerClass = Schema.optionalWith(PositiveInt, { default: () => 10 })

/** @since 0.1.0 @category schemas */
export const FtOptions = Schema.Struct({})

/** @since 0.1.0 @category schemas */
export const LwfOptions = Schema.Struct({
  /** Weight of the LwF term (total = CE + alpha * L_LwF). */
  alpha: option(NonNegative, 1),
  temperature: option(Positive, 1),
  /** First session (0-based) that distils; earlier ones are plain FT. */
  firstSession: option(NonNegativeInt, 1)
})

/** @since 0.1.0 @category schemas */
export const VrlwfOptions = Schema.Struct({
  alpha: option(NonNegative, 0.5),
  /** Pseudo-classes drawn per batch (paper: 100). */
  count: option(PositiveInt, 100),
  /** Random tokens per pseudo-class (paper: 8). */
  length: option(PositiveInt, 8),
  temperature: option(Positive, 1),
  /** "random": redraw every batch (the paper); "pool": sample a vocabulary embedded once (`embedVocabulary`). */
  vocabulary: Schema.optionalWith(Schema.Literal("random", "pool"), { default: () => "random" as const }),
  /** First session (0-based) with the LwF term (paper: the second). */
  lwfFirstSession: option(NonNegativeInt, 1)
})

/** @since 0.1.0 @category schemas */
export const LwfVrZsclOptions = Schema.Struct({
  /** Sequences drawn per session (ZSCL: 1,000). */
  sequences: option(PositiveInt, 1000),
  length: option(PositiveInt, 8),
  temperature: option(Positive, 2),
  weight: option(NonNegative, 1),
  /** Sequences distilled per step. */
  textsPerStep: option(PositiveInt, 1000)
})

/** @since 0.1.0 @category schemas */
export const ZsclOptions = Schema.Struct({
  weight: option(NonNegative, 1),
  temperature: option(Positive, 2),
  /** Fold the weights into the running average every K steps; 0 disables averaging. */
  averageEvery: option(NonNegativeInt, 100),
  /** Reference texts distilled per step (ZSCL: 1000; the student encodes each one every step). */
  textsPerStep: option(PositiveInt, 1000),
  /** Reference image-caption pairs drawn from the pretraining data. */
  referenceSize: Schema.optionalWith(PositiveInt, { default: () => 1000 })
})

/** @since 0.1.0 @category schemas */
export const ImmOptions = Schema.Struct({
  /** Weight of the session's model in the merge (0.5: the mean of the two). */
  alpha: Schema.optionalWith(Schema.Number.pipe(Schema.between(0, 1)), { default: () => 0.5 })
})

/** @since 0.1.0 @category schemas */
export const GemOptions = Schema.Struct({
  memoryPerClass,
  /** GEM's `memory_strength`. */
  margin: option(NonNegative, 0.5)
})

/** @since 0.1.0 @category schemas */
export const AgemOptions = Schema.Struct({ memoryPerClass })

/** @since 0.1.0 @category schemas */
export const IcarlOptions = Schema.Struct({
  memoryPerClass,
  /** Weight of the distillation on exemplars. */
  distillWeight: option(NonNegative, 1),
  temperature: option(Positive, 2)
})

/** @since 0.1.0 @category schemas */
export const GeodlOptions = Schema.Struct({
  weight: option(NonNegative, 1),
  /** Subspace dimension (capped by batch size and feature width). */
  rank: option(PositiveInt, 8),
  steps: option(PositiveInt, 5),
  firstSession: option(NonNegativeInt, 1)
})

/** @since 0.1.0 @category schemas */
export const RkrOptions = Schema.Struct({
  rank: option(PositiveInt, 1),
  initStd: option(Positive, 0.01)
})
