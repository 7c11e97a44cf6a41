/**
 * What an experiment reads, whatever the data source: images and captions to
 * pretrain on, the target task learned in sessions, held-out zero-shot tasks
 * and retrieval folds. Stages name a source in their parameters (`DataParams`)
 * and open it here; the opened source is memoised per process so the stages of
 * one run share it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { preprocessPixels } from "../clip/preprocess.js"
import { fillTemplate } from "../clip/prompts.js"
import { tokenize } from "../clip/tokenizer.js"
import type { CaptionedImages, ImageSet, LabeledImages } from "../data/ImageSet.js"
import { folds } from "../data/ImageSet.js"
import { worldProtocol } from "../data/synthetic/world.js"
import { classIncremental, type ClassIncremental } from "../data/tasks.js"
import type { ImageSource } from "../methods/data.js"
import { CocoData, openCoco } from "./sources/coco.js"
import { FashionMnistData, openFashionMnist } from "./sources/fashionMnist.js"
import { PositiveInt } from "../schemas.js"

/**
 * The built-in synthetic caption world (see `src/data/synthetic`).
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

/**
 * The data an experiment stage reads.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DataParams = Schema.Union(SyntheticData, FashionMnistData, CocoData)

/** @since 0.1.0 @category models */
export type DataParams = typeof DataParams.Type

/**
 * A classification task with its prompt templates (`{}` marks the class name).
 *
 * @since 0.1.0
 * @category models
 */
export interface PromptedTask {
  readonly name: string
  readonly classNames: ReadonlyArray<string>
  readonly templates: ReadonlyArray<string>
  readonly test: LabeledImages
}

/**
 * An opened data source.
 *
 * @since 0.1.0
 * @category models
 */
export interface Experiment {
  readonly name: string
  /** Image-caption pairs for contrastive pretraining, when the source has them. */
  readonly pretrain: CaptionedImages | undefined
  /** The task learned in sessions. */
  readonly target: PromptedTask & { readonly train: LabeledImages }
  /** Held-out zero-shot tasks (not trained on by any session). */
  readonly zeroShot: ReadonlyArray<PromptedTask>
  /** Retrieval folds (image-caption pairs never trained on). */
  readonly retrieval: ReadonlyArray<CaptionedImages>
  /**
   * The retrieval task of each fold (default: all one task, "retrieval"), so
   * data sets are reported apart (COCO 5k, Flickr30K 1k); recall is averaged
   * over the folds of a task.
   */
  readonly retrievalTasks?: ReadonlyArray<string>
}

const opened = new Map<string, Promise<Experiment>>()

/**
 * Open (once per process) the data a stage names. Asynchronous because real
 * data sets are read lazily from disk; concurrent stages opening the same
 * source share one promise, and a failed open is forgotten so a later stage
 * reports the error again rather than a stale one.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openExperiment = (p: DataParams): Promise<Experiment> => {
  const key = JSON.stringify(p)
  const hit = opened.get(key)
  if (hit !== undefined) return hit
  const opening = openSource(p)
  opened.set(key, opening)
  opening.catch(() => opened.delete(key))
  return opening
}

const openSource = async (p: DataParams): Promise<Experiment> => {
  if (p.source === "fashion-mnist") return openFashionMnist(p)
  if (p.source === "coco") return openCoco(p)
  const w = worldProtocol({
    seed: p.seed,
    imageSize: p.imageSize,
    pretrainSize: p.pretrainSize,
    pretrainCaptions: p.pretrainCaptions,
    retrievalSize: p.retrievalSize,
    retrievalCaptions: p.retrievalCaptions,
    targetTrainPerClass: p.targetTrainPerClass,
    targetTestPerClass: p.targetTestPerClass,
    zeroShotSize: p.zeroShotSize
  })
  return {
    name: `synthetic(seed ${p.seed})`,
    pretrain: w.pretrain,
    target: w.target,
    zeroShot: w.zeroShot.filter((t) => (p.zeroShotTasks as ReadonlyArray<string>).includes(t.name)),
    retrieval: [w.retrieval]
  }
}

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
 * A methods `ImageSource` over raw images held as bytes: each batch is
 * preprocessed (resized when the model's resolution differs, normalised) on
 * demand, so only the 8-bit images stay in memory. `view` maps the source's
 * indices to image indices (e.g. one image per caption when pretraining on
 * several captions per image).
 *
 * @since 0.1.0
 * @category constructors
 */
export const rawImageSource = (
  set: Pick<ImageSet, "height" | "width" | "channels">,
  raw: Uint8Array,
  modelSize: number,
  view?: { readonly size: number; readonly imageOf: (i: number) => number }
): ImageSource => {
  const per = set.height * set.width * set.channels
  const v = view ?? { size: Math.floor(raw.length / per), imageOf: (i: number) => i }
  return {
    size: v.size,
    batch: (indices) => {
      const out = new Uint8Array(indices.length * per)
      indices.forEach((i, k) => {
        const j = v.imageOf(i)
        out.set(raw.subarray(j * per, (j + 1) * per), k * per)
      })
      return preprocessPixels(out, { count: indices.length, height: set.height, width: set.width, channels: set.channels }, modelSize)
    }
  }
}

/**
 * Tokenise prompts for a model's context length (long captions truncated).
 *
 * @since 0.1.0
 * @category utils
 */
export const tokens = (texts: ReadonlyArray<string>, contextLength: number): number[][] =>
  tokenize([...texts], { contextLength, truncate: true })

/**
 * Fill `{}` in each template with each class name.
 *
 * @since 0.1.0
 * @category utils
 */
export const prompts = (classNames: ReadonlyArray<string>, templates: ReadonlyArray<string>): string[][] =>
  classNames.map((c) => templates.map((t) => fillTemplate(t, c)))

/**
 * Split a captioned set into retrieval folds of `size` images.
 *
 * @since 0.1.0
 * @category utils
 */
export const retrievalFolds = (set: CaptionedImages, size: number): ReadonlyArray<CaptionedImages> =>
  set.size <= size ? [set] : folds(set, size)

