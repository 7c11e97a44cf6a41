/**
 * Top-k classification accuracy from a logit or similarity matrix.
 *
 * `acc@k = (1/n) sum_j [rank_j < k]`, where `rank_j` counts the classes that
 * score strictly higher than example j's true class (see {@link TieRule}).
 * The matrix is read in row chunks with tfjs, so 10k x 1000 logits need
 * only one chunk of temporaries at a time.
 *
 * @since 0.1.0
 */
import type { tf } from "../backend/tf.js"
import { MetricInputError } from "./EvalError.js"
import { hitRate, targetRanks, tieCount } from "./internal/rank.js"
import { checkIndices, chunked, DEFAULT_CHUNK_ROWS, type ChunkedMatrix, type ScoreMatrix } from "./ScoreMatrix.js"

/**
 * How ties between the target and a competitor are counted.
 * - `"optimistic"` (default, as in most retrieval code): rank = number of
 *   candidates scoring *strictly* higher, so a tie counts as a hit.
 * - `"pessimistic"`: rank = number of other candidates scoring at least as
 *   high, so a tie counts as a miss.
 * Reporting both bounds a model whose scores collapsed to a constant: it
 * gets 1.0 optimistically and 0.0 pessimistically.
 *
 * @since 0.1.0
 * @category models
 */
export type TieRule = "optimistic" | "pessimistic"

/**
 * @since 0.1.0
 * @category models
 */
export interface AccuracyOptions {
  /** Which k to report; default `[1, 5]`. */
  readonly ks?: ReadonlyArray<number>
  readonly ties?: TieRule
  /** Rows scored per tfjs chunk; default {@link DEFAULT_CHUNK_ROWS}. */
  readonly chunkRows?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AccuracyResult {
  /** Number of examples scored. */
  readonly n: number
  /** Number of candidate classes. */
  readonly classes: number
  readonly top1: number
  readonly top5: number
  /** Accuracy for every requested k (includes 1 and 5 if requested). */
  readonly topK: Readonly<Record<number, number>>
  /** Examples whose true class ties with another class: a non-zero value means the two tie rules disagree. */
  readonly ties: number
}

const METRIC = "topKAccuracy"

/**
 * Top-k accuracies of `scores` (`n x c`) against integer `labels` (`n`, in
 * `[0, c)`). When `c < k`, every example is a top-k hit.
 *
 * @throws MetricInputError on an empty matrix, a NaN score, a label out of
 *   range, a length mismatch or a non-positive k.
 * @since 0.1.0
 * @category constructors
 */
export const classificationAccuracy = (
  scores: ScoreMatrix,
  labels: ArrayLike<number> | tf.Tensor1D,
  options: AccuracyOptions = {},
): AccuracyResult => {
  const m = chunked(scores, METRIC, "scores")
  if (m.rows === 0 || m.cols === 0) {
    throw new MetricInputError({ metric: METRIC, field: "scores", reason: `empty matrix (${m.rows} x ${m.cols}): nothing to score` })
  }
  const target = checkIndices(labels, m.cols, m.rows, METRIC, "labels")
  return accuracyOfChunks(m, target, options, METRIC)
}

/**
 * The scoring core on an already validated chunk reader and target columns.
 *
 * @internal
 */
export const accuracyOfChunks = (
  m: ChunkedMatrix,
  target: Int32Array,
  options: AccuracyOptions,
  metric: string,
): AccuracyResult => {
  const ks = options.ks ?? [1, 5]
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new MetricInputError({ metric, field: "ks", reason: `k = ${k} is not a positive integer` })
  }
  const ranks = targetRanks(m, target, metric, "scores", options.chunkRows ?? DEFAULT_CHUNK_ROWS)
  const chosen = (options.ties ?? "optimistic") === "optimistic" ? ranks.strict : ranks.weak
  const topK: Record<number, number> = {}
  for (const k of new Set([...ks, 1, 5])) topK[k] = hitRate(chosen, k)
  return { n: m.rows, classes: m.cols, top1: topK[1], top5: topK[5], topK, ties: tieCount(ranks) }
}

/**
 * Top-k accuracy for a single k: `classificationAccuracy(...).topK[k]`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const topKAccuracy = (
  scores: ScoreMatrix,
  labels: ArrayLike<number> | tf.Tensor1D,
  k: number,
  options: Omit<AccuracyOptions, "ks"> = {},
): number => classificationAccuracy(scores, labels, { ...options, ks: [k] }).topK[k]
