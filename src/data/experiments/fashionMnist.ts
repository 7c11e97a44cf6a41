/**
 * The `fashion-mnist` data source: Fashion-MNIST as a continual-learning
 * experiment where zero-shot retention is measurable (its design is in
 * `open/fashionMnist.ts`). Parameters only; the reader loads when opened.
 *
 * @since 0.1.0
 */
import { Data, Schema } from "effect"
import { PositiveInt } from "../../schemas.js"
import { debianFashionMnistDir } from "../catalog.js"
import type { DataSource } from "./experiment.js"

const ClassIndex = Schema.Int.pipe(Schema.between(0, 9))

/**
 * Parameters of the `fashion-mnist` source.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FashionMnistData = Schema.Struct({
  source: Schema.Literal("fashion-mnist"),
  /** Folder with the four IDX files (gzipped or not); default Debian's `dataset-fashion-mnist`. */
  dir: Schema.optionalWith(Schema.String, { default: () => debianFashionMnistDir }),
  seed: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  /** Classes (indices 0..9) used for pretraining, zero-shot and retrieval; the rest form the target task. */
  pretrainClasses: Schema.optionalWith(Schema.Array(ClassIndex), { default: () => [0, 1, 2, 5, 8] as const }),
  pretrainPerClass: Schema.optionalWith(PositiveInt, { default: () => 1000 }),
  pretrainCaptions: Schema.optionalWith(PositiveInt, { default: () => 2 }),
  retrievalPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 }),
  targetTrainPerClass: Schema.optionalWith(PositiveInt, { default: () => 300 }),
  targetTestPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 }),
  zeroShotPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 })
})

/** @since 0.1.0 @category models */
export type FashionMnistData = typeof FashionMnistData.Type

/**
 * The source's files or parameters are unusable; names the file (or field).
 *
 * @since 0.1.0
 * @category errors
 */
export class FashionMnistSourceError extends Data.TaggedError("FashionMnistSourceError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `fashion-mnist source: ${this.file}: ${this.reason}`
  }
}

/**
 * The `fashion-mnist` source.
 *
 * @since 0.1.0
 * @category sources
 */
export const fashionMnist: DataSource<FashionMnistData, typeof FashionMnistData.Encoded> = {
  name: "fashion-mnist",
  params: FashionMnistData,
  open: async (p) => (await import("./open/fashionMnist.js")).openFashionMnist(p)
}
