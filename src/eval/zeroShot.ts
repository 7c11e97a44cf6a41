/**
 * Zero-shot classification with CLIP: each image is assigned the class whose
 * (prompt-ensembled) text embedding has the highest cosine similarity,
 * `logit[j][c] = <f_j / |f_j|, w_c / |w_c|>`, scored over a chosen set of
 * candidate classes. The logit scale of CLIP is omitted: it changes no rank.
 *
 * The candidate set is what distinguishes the protocols of a class-
 * incremental run: after session t the paper scores a target session over
 * the prompts of *all* classes; a stricter protocol scores over the classes
 * seen so far ({@link classesSeen}).
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { accuracyOfChunks, type AccuracyOptions, type AccuracyResult } from "./accuracy.js"
import { MetricInputError } from "./EvalError.js"
import { unitRows } from "./internal/normalize.js"
import { checkIndices, chunked, type ChunkedMatrix, type ScoreMatrix } from "./ScoreMatrix.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ZeroShotInput {
  /** Image embeddings, `n x d` (normalised here; need not be already). */
  readonly imageFeatures: ScoreMatrix
  /** One text embedding per class id, `C x d`, already prompt-ensembled. */
  readonly classFeatures: ScoreMatrix
  /** The true class id of each image, in `[0, C)`. */
  readonly labels: ArrayLike<number> | tf.Tensor1D
  /** Candidate classes to score over (default `"all"`). Every label must be a candidate. */
  readonly classes?: CandidateClasses
}

/**
 * The candidate classes of a zero-shot evaluation: `"all"` classes (the
 * paper's protocol), an explicit list of class ids, or the classes seen so
 * far: those of `sessions[0..upTo]` (see {@link classesSeen}).
 *
 * @since 0.1.0
 * @category models
 */
export type CandidateClasses =
  | "all"
  | ReadonlyArray<number>
  | { readonly sessions: ReadonlyArray<ReadonlyArray<number>>; readonly upTo: number }

/**
 * @since 0.1.0
 * @category models
 */
export interface ZeroShotResult extends AccuracyResult {
  /** The class ids scored over, in column order. */
  readonly candidates: ReadonlyArray<number>
}

const METRIC = "zeroShotAccuracy"

/**
 * The classes learned in sessions `0..t`, in session order: the "seen so
 * far" candidate set.
 *
 * @throws MetricInputError if `t` is not a session index.
 * @since 0.1.0
 * @category utils
 */
export const classesSeen = (sessions: ReadonlyArray<ReadonlyArray<number>>, t: number): ReadonlyArray<number> => {
  if (!Number.isInteger(t) || t < 0 || t >= sessions.length) {
    throw new MetricInputError({ metric: "classesSeen", field: "t", reason: `${t} is not a session index in [0, ${sessions.length})` })
  }
  const out: number[] = []
  const seen = new Set<number>()
  for (const s of sessions.slice(0, t + 1)) for (const c of s) if (!seen.has(c)) { seen.add(c); out.push(c) }
  return out
}

/**
 * Top-1 / top-5 zero-shot accuracy of image features against class text
 * features over a candidate class set.
 *
 * @throws MetricInputError on empty input, a dimension mismatch, a zero or
 *   NaN embedding, an unknown candidate, or a label outside the candidates.
 * @since 0.1.0
 * @category constructors
 */
export const zeroShotAccuracy = (input: ZeroShotInput, options: AccuracyOptions = {}): ZeroShotResult => {
  const img = chunked(input.imageFeatures, METRIC, "imageFeatures")
  const txt = chunked(input.classFeatures, METRIC, "classFeatures")
  if (img.rows === 0) throw new MetricInputError({ metric: METRIC, field: "imageFeatures", reason: "no images to score" })
  if (txt.rows === 0) throw new MetricInputError({ metric: METRIC, field: "classFeatures", reason: "no classes" })
  if (img.cols !== txt.cols) {
    throw new MetricInputError({ metric: METRIC, field: "classFeatures", reason: `embedding width ${txt.cols} differs from imageFeatures width ${img.cols}` })
  }
  const labels = checkIndices(input.labels, txt.rows, img.rows, METRIC, "labels")
  const spec = input.classes ?? "all"
  const candidates: ReadonlyArray<number> =
    spec === "all"
      ? Array.from({ length: txt.rows }, (_, c) => c)
      : "sessions" in spec
        ? classesSeen(spec.sessions, spec.upTo)
        : spec
  if (candidates.length === 0) throw new MetricInputError({ metric: METRIC, field: "classes", reason: "empty candidate set" })
  const column = new Map<number, number>()
  candidates.forEach((c, j) => {
    if (!Number.isInteger(c) || c < 0 || c >= txt.rows) {
      throw new MetricInputError({ metric: METRIC, field: `classes[${j}]`, reason: `${c} is not a class id in [0, ${txt.rows})` })
    }
    if (column.has(c)) throw new MetricInputError({ metric: METRIC, field: `classes[${j}]`, reason: `class ${c} listed twice` })
    column.set(c, j)
  })
  const local = new Int32Array(labels.length)
  labels.forEach((l, i) => {
    const j = column.get(l)
    if (j === undefined) {
      throw new MetricInputError({ metric: METRIC, field: `labels[${i}]`, reason: `class ${l} is not among the ${candidates.length} candidate classes` })
    }
    local[i] = j
  })
  const normed = unitRows(txt, 0, txt.rows, METRIC, "classFeatures")
  const wT = tf.tidy(() => tf.transpose(tf.gather(normed, tf.tensor1d(Array.from(candidates), "int32"))) as tf.Tensor2D)
  normed.dispose()
  try {
    const sims: ChunkedMatrix = {
      rows: img.rows,
      cols: candidates.length,
      chunk: (s, e) => {
        const x = unitRows(img, s, e, METRIC, "imageFeatures")
        try {
          return tf.matMul(x, wT) as tf.Tensor2D
        } finally {
          x.dispose()
        }
      },
    }
    return { ...accuracyOfChunks(sims, local, options, METRIC), candidates }
  } finally {
    wT.dispose()
  }
}
