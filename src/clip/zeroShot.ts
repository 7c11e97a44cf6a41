/**
 * Zero-shot classification heads: one text embedding per class from class
 * names x prompt templates (prompt ensembling, Radford et al. 2021 sec.
 * 3.1.4: the mean of the normalised embeddings of every template, then
 * renormalised), and classification of images against them. The class
 * names and templates of 27 data sets ship in `assets/clip/prompts.json`.
 * Accuracy metrics over the logits live in `src/eval` (`topKAccuracy`,
 * `zeroShotAccuracy`), with the tie rules and candidate-class scopes.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { embedImages, embedTexts } from "./embed.js"
import { ClipInputError } from "./errors.js"
import type { ClipModel } from "./model.js"
import { fillTemplate } from "./prompts.js"
import { l2Normalize } from "./similarity.js"
import { tokenize as clipTokenize } from "./tokenizer.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ZeroShotOptions {
  /** Token ids of texts (default: CLIP's BPE tokenizer, context 77). */
  readonly tokenize?: (texts: string[]) => number[][]
  readonly batchSize?: number
}

/**
 * The zero-shot classifier [classes, embedDim]: row c is the renormalised
 * mean of the normalised text embeddings of class c under every template.
 *
 * @since 0.1.0
 * @category constructors
 */
export const zeroShotClassifier = (
  model: ClipModel,
  classNames: ReadonlyArray<string>,
  templates: ReadonlyArray<string>,
  options: ZeroShotOptions = {}
): tf.Tensor2D => {
  if (classNames.length === 0) throw new ClipInputError({ tensor: "classNames", reason: "no classes" })
  if (templates.length === 0) throw new ClipInputError({ tensor: "templates", reason: "no templates" })
  const tok = options.tokenize ?? ((texts: string[]) => clipTokenize(texts, { contextLength: model.config.contextLength, truncate: true }))
  const prompts = classNames.flatMap((c) => templates.map((t) => fillTemplate(t, c)))
  const emb = embedTexts(model, tok(prompts), options.batchSize ?? 256, { normalize: true })
  const head = tf.tidy(() => {
    const perClass = tf.reshape(emb, [classNames.length, templates.length, model.config.embedDim])
    return l2Normalize(tf.mean(perClass, 1) as tf.Tensor2D)
  })
  emb.dispose()
  return head
}

/**
 * Cosine similarities x exp(logit_scale) [images, classes] of images
 * against a classifier, and the predicted class of each image.
 *
 * @since 0.1.0
 * @category combinators
 */
export const classify = (
  model: ClipModel,
  classifier: tf.Tensor2D,
  pixels: tf.Tensor4D,
  options: { readonly batchSize?: number } = {}
): { readonly logits: tf.Tensor2D; readonly predictions: Int32Array } => {
  const img = embedImages(model, pixels, options.batchSize ?? 32, { normalize: true })
  const logits = tf.tidy(() => tf.mul(tf.matMul(img, classifier, false, true), model.logitScale) as tf.Tensor2D)
  img.dispose()
  const predictions = tf.tidy(() => tf.argMax(logits, 1).dataSync() as Int32Array)
  return { logits, predictions }
}
