/**
 * The `synthetic` data source: the built-in caption world of
 * `src/data/synthetic`, drawn from a seed (no files).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { PositiveInt } from "../../schemas.js"
import type { DataSource } from "./experiment.js"

/**
 * Parameters of the `synthetic` source.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SyntheticData = Schema.Struct({
  source: Schema.Literal("synthetic"),
  seed: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  imageSize: Schema.optionalWith(PositiveInt, { default: () => 32 }),
  pretrainSize: Schema.optionalWith(PositiveInt, { default: () => 12000 }),
  pretrainCaptions: Schema.optionalWith(PositiveInt, { default: () => 3 }),
  retrievalSize: Schema.optionalWith(PositiveInt, { default: () => 500 }),
  retrievalCaptions: Schema.optionalWith(PositiveInt, { default: () => 5 }),
  targetTrainPerClass: Schema.optionalWith(PositiveInt, { default: () => 150 }),
  targetTestPerClass: Schema.optionalWith(PositiveInt, { default: () => 50 }),
  zeroShotSize: Schema.optionalWith(PositiveInt, { default: () => 600 }),
  /** Held-out attributes whose zero-shot accuracy is reported (default colour). */
  zeroShotTasks: Schema.optionalWith(
    Schema.Array(Schema.Literal("colour", "size", "position", "background", "shape", "size+colour", "colour+position")),
    { default: () => ["colour"] as const }
  )
})

/** @since 0.1.0 @category models */
export type SyntheticData = typeof SyntheticData.Type

/**
 * The `synthetic` source.
 *
 * @since 0.1.0
 * @category sources
 */
export const synthetic: DataSource<SyntheticData, typeof SyntheticData.Encoded> = {
  name: "synthetic",
  params: SyntheticData,
  open: async (p) => (await import("./open/synthetic.js")).openSynthetic(p)
}
