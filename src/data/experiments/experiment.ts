/**
 * What an experiment reads, whatever the data source: images and captions to
 * pretrain on, the target task learned in sessions, held-out zero-shot tasks
 * and retrieval folds; and what a data source is: a name, the Schema of its
 * parameters and how to open it. Types only: a pipeline file and the plan
 * load this without any reader.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { CaptionedImages, LabeledImages } from "../ImageSet.js"

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

/**
 * A data source: stage parameters `{ source: name, ... }` decode with
 * `params` (which includes the `source` literal) and `open` builds the
 * experiment. `open` loads its readers lazily, so that naming a source
 * (planning, decoding parameters) loads no image or tensor code.
 *
 * @since 0.1.0
 * @category models
 */
export interface DataSource<P extends { readonly source: string } = any, PE = any> {
  readonly name: string
  readonly params: Schema.Schema<P, PE, never>
  readonly open: (params: P) => Promise<Experiment>
}
