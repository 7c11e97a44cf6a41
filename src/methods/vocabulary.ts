/**
 * Vocabularies for replay: the pseudo-classes VR-LwF draws (random token
 * sequences), real-word vocabularies, and {@link embedVocabulary}, which
 * encodes a vocabulary once so that every method and ablation needing a
 * teacher's text features can share them (a cached stage output).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { InvalidOptionError } from "./errors.js"
import type { MethodModel } from "./model.js"
import type { Rng } from "../random.js"

/**
 * CLIP's start-of-text token.
 *
 * @since 0.1.0
 * @category constants
 */
export const START_TOKEN = 49406

/**
 * CLIP's end-of-text token (the text feature is read at its position).
 *
 * @since 0.1.0
 * @category constants
 */
export const END_TOKEN = 49407

/**
 * Pseudo-class tokens are drawn uniformly from [0, PSEUDO_TOKEN_LIMIT), as the
 * authors' code does (`randint(0, 49405)`), so neither special token appears.
 *
 * @since 0.1.0
 * @category constants
 */
export const PSEUDO_TOKEN_LIMIT = 49405

/**
 * @since 0.1.0
 * @category models
 */
export interface PseudoClassOptions {
  /** Number of sequences (VR-LwF: 100 per batch). */
  readonly count: number
  /** Random tokens between start and end (VR-LwF: 8). */
  readonly length: number
  readonly contextLength: number
  /** Tokens are uniform in [0, tokenLimit); defaults to {@link PSEUDO_TOKEN_LIMIT}. */
  readonly tokenLimit?: number
}

/**
 * `count` rows `[START, t_1..t_length, END, 0, ...]` (zero-padded to the
 * context length) with `t_i` uniform in [0, tokenLimit), drawn from `rng`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const drawPseudoClasses = (rng: Rng, options: PseudoClassOptions): number[][] => {
  const { count, length, contextLength } = options
  const limit = options.tokenLimit ?? PSEUDO_TOKEN_LIMIT
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new InvalidOptionError({ method: "drawPseudoClasses", option: "count", reason: `must be a positive integer, got ${count}` })
  }
  if (!(Number.isInteger(length) && length >= 1 && length + 2 <= contextLength)) {
    throw new InvalidOptionError({ method: "drawPseudoClasses", option: "length", reason: `must be in [1, ${contextLength - 2}] for context length ${contextLength}, got ${length}` })
  }
  return Array.from({ length: count }, () => {
    const row = new Array<number>(contextLength).fill(0)
    row[0] = START_TOKEN
    for (let i = 1; i <= length; i++) row[i] = rng.int(limit)
    row[length + 1] = END_TOKEN
    return row
  })
}

/**
 * Token rows for a real-word vocabulary (a word list, or class names from
 * `prompts.json`), using the caller's tokenizer (`src/clip`'s `tokenize`).
 * Duplicates and empty words are dropped, order kept.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wordVocabulary = (words: ReadonlyArray<string>, tokenize: (texts: string[]) => number[][]): number[][] => {
  const unique = [...new Set(words.map((w) => w.trim()).filter((w) => w.length > 0))]
  return tokenize(unique)
}

/**
 * Every class name of the given prompt sets (`prompts.json`, as `src/clip`'s
 * `loadPrompts` returns it), de-duplicated in order, optionally leaving out
 * sets (e.g. the target task's own classes): a real-word vocabulary for
 * {@link wordVocabulary}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const promptClassNames = (
  prompts: Readonly<Record<string, { readonly classes: ReadonlyArray<string> }>>,
  exclude: ReadonlyArray<string> = [],
): string[] => [...new Set(Object.entries(prompts).filter(([name]) => !exclude.includes(name)).flatMap(([, set]) => set.classes))]

/**
 * Text features [n, embedDim] (projected, unnormalised) of token rows,
 * `batchSize` rows at a time so memory stays bounded. The result is a new
 * tensor the caller owns; no gradient is recorded.
 *
 * @since 0.1.0
 * @category constructors
 */
export const embedVocabulary = (model: MethodModel, ids: ReadonlyArray<ReadonlyArray<number>>, batchSize = 256): tf.Tensor2D => {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new InvalidOptionError({ method: "embedVocabulary", option: "batchSize", reason: `must be a positive integer, got ${batchSize}` })
  }
  if (ids.length === 0) return tf.zeros([0, model.config.embedDim]) as tf.Tensor2D
  const parts: tf.Tensor2D[] = []
  for (let start = 0; start < ids.length; start += batchSize) {
    parts.push(tf.tidy("embedVocabulary", () => model.encodeText(ids.slice(start, start + batchSize).map((r) => r.slice()))))
  }
  const out = parts.length === 1 ? parts[0] : tf.concat(parts, 0)
  if (parts.length > 1) parts.forEach((p) => p.dispose())
  return out
}

/**
 * `k` distinct indices from [0, n) (all of them, shuffled, when k >= n).
 *
 * @since 0.1.0
 * @category utils
 */
export const sampleIndices = (rng: Rng, n: number, k: number): number[] => rng.permutation(n).slice(0, Math.min(k, n))
