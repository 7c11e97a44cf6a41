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
import { readFileSync } from "node:fs"
import { tf } from "../backend/tf.js"
import { embedImages, embedTexts } from "./embed.js"
import { ClipConfigError, ClipInputError } from "./errors.js"
import { clipAssetPath } from "./internal/tokenizerAssets.js"
import type { ClipModel } from "./model.js"
import { l2Normalize } from "./similarity.js"
import { tokenize as clipTokenize } from "./tokenizer.js"

/**
 * The class names and templates (`"a photo of a {}."`) of one data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromptSet {
  readonly classes: ReadonlyArray<string>
  readonly templates: ReadonlyArray<string>
}

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
 * The prompt sets shipped in `assets/clip/prompts.json` (or the file at
 * `path`), by data-set name (`"CIFAR10"`, `"ImageNet"`, ...).
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadPrompts = (path?: string): Readonly<Record<string, PromptSet>> => {
  const file = path ?? clipAssetPath("prompts.json")
  if (file === undefined) throw new ClipConfigError({ source: "assets/clip/prompts.json", field: "prompts", reason: "file not found beside the package" })
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, "utf8"))
  } catch (e) {
    throw new ClipConfigError({ source: file, field: "prompts", reason: e instanceof Error ? e.message : String(e) })
  }
  if (typeof json !== "object" || json === null) throw new ClipConfigError({ source: file, field: "prompts", reason: "not a JSON object" })
  for (const [name, set] of Object.entries(json as Record<string, any>)) {
    const ok = Array.isArray(set?.classes) && Array.isArray(set?.templates) &&
      [...set.classes, ...set.templates].every((s: unknown) => typeof s === "string")
    if (!ok) throw new ClipConfigError({ source: file, field: name, reason: "expected { classes: string[], templates: string[] }" })
  }
  return json as Record<string, PromptSet>
}

/**
 * The prompt of one class under one template: every `{}` becomes the class
 * name.
 *
 * @since 0.1.0
 * @category utils
 */
export const fillTemplate = (template: string, className: string): string => template.split("{}").join(className)

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
