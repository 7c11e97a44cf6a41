/**
 * What the stages take from a data source: the `data` parameter
 * (`DataParams`, built from the data-source registry of
 * `src/data/experiments`), the opened experiment, its class-incremental
 * sessions and tokenised prompts. Tensor-free, so stage modules import it at
 * load time; the pixels-to-tensor step is `rawImageSource.ts`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { tokenize } from "../clip/tokenizer.js"
import type { ImageSet } from "../data/ImageSet.js"
import { classIncremental, type ClassIncremental } from "../data/tasks.js"
import type { Experiment } from "../data/experiments/experiment.js"
import { PositiveInt } from "../schemas.js"

export type { DataSource, Experiment, PromptedTask } from "../data/experiments/experiment.js"
export {
  type CustomData,
  DataParams,
  type DataParamsEncoded,
  DatasetDefinitionError,
  type DatasetSpec,
  dataSourceNames,
  defineDataset,
  openExperiment,
  UnknownDataSource
} from "../data/experiments/registry.js"

/**
 * The target task's class-incremental sessions.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SessionParams = Schema.Struct({
  /** Number of sessions the target classes are shared out over (1 = one-session training). */
  count: Schema.optionalWith(PositiveInt, { default: () => 1 }),
  /** Seed of the class order (absent: the data set's order). */
  orderSeed: Schema.optional(Schema.Int)
})

/** @since 0.1.0 @category utils */
export const sessionsOf = (exp: Experiment, p: typeof SessionParams.Type): ClassIncremental =>
  classIncremental({ classNames: exp.target.classNames, sessions: p.count, ...(p.orderSeed === undefined ? {} : { seed: p.orderSeed }) })

/**
 * All images of a set as raw bytes (one read), for sets that fit in memory.
 *
 * @since 0.1.0
 * @category utils
 */
export const readAll = (set: ImageSet): Promise<Uint8Array> => set.read(Int32Array.from({ length: set.size }, (_, i) => i))

/**
 * Tokenise prompts for a model's context length (long captions truncated).
 *
 * @since 0.1.0
 * @category utils
 */
export const tokens = (texts: ReadonlyArray<string>, contextLength: number): number[][] =>
  tokenize([...texts], { contextLength, truncate: true })
