/**
 * Image-text retrieval Recall@K from a similarity matrix `sim[image][text]`
 * in which every image has one or more captions.
 *
 * - Image-to-text: an image is a hit at K when its *best-ranked* caption is
 *   among the top K texts: `rank_i = #{texts t : sim[i][t] > max_{c in C(i)} sim[i][c]}`.
 * - Text-to-image: a caption is a hit at K when its own image is among the
 *   top K images: `rank_t = #{images j : sim[j][t] > sim[img(t)][t]}`.
 * - `R@K = (1/N) sum [rank < K]`; ranks count strictly greater scores, so a
 *   tie counts as a hit (`ties: "pessimistic"` counts it as a miss).
 * - With `folds = F` (COCO 5k test: 5 folds of 1k images) the images are
 *   cut into F contiguous equal blocks, each block is ranked only against
 *   its own captions and images, and the F recalls are averaged.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import type { TieRule } from "./accuracy.js"
import { MetricInputError } from "./EvalError.js"
import { hitRate, targetRanks, type Ranks } from "./internal/rank.js"
import { assertNoNaN, checkIndices, chunked, DEFAULT_CHUNK_ROWS, type ChunkedMatrix, type ScoreMatrix } from "./ScoreMatrix.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RetrievalOptions {
  /** Which K to report; default `[1, 5, 10]`. */
  readonly ks?: ReadonlyArray<number>
  /** Number of contiguous image folds to average over; default 1. Must divide the image count. */
  readonly folds?: number
  readonly ties?: TieRule
  readonly chunkRows?: number
}

/**
 * Recall@K per direction, keyed by K.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetrievalResult {
  readonly images: number
  readonly texts: number
  readonly folds: number
  readonly imageToText: Readonly<Record<number, number>>
  readonly textToImage: Readonly<Record<number, number>>
  /** `(imageToText[K] + textToImage[K]) / 2`. */
  readonly mean: Readonly<Record<number, number>>
  /** The per-fold recalls that were averaged (one entry when `folds = 1`). */
  readonly perFold: ReadonlyArray<{
    readonly imageToText: Readonly<Record<number, number>>
    readonly textToImage: Readonly<Record<number, number>>
  }>
}

/**
 * The protocols of the paper's retrieval tables, as options.
 *
 * @since 0.1.0
 * @category constructors
 */
export const RetrievalProtocol = {
  /** COCO 5k (Karpathy test) reported as the mean of 5 folds of 1k images. */
  coco1k: { folds: 5 },
  /** COCO 5k ranked as a whole. */
  coco5k: { folds: 1 },
  /** Flickr30K 1k test images, one fold. */
  flickr1k: { folds: 1 },
} as const satisfies Record<string, RetrievalOptions>

const METRIC = "retrievalRecall"

/** Image-to-text ranks of the rows of `f` (fold matrix), given each column's local image. */
const imageToTextRanks = (f: tf.Tensor2D, colImage: Int32Array, chunkRows: number): Ranks => {
  const [rows, cols] = f.shape
  const strict = new Int32Array(rows)
  const weak = new Int32Array(rows)
  for (let s = 0; s < rows; s += chunkRows) {
    const e = Math.min(rows, s + chunkRows)
    const mask = new Uint8Array((e - s) * cols)
    for (let c = 0; c < cols; c++) {
      const r = colImage[c]
      if (r >= s && r < e) mask[(r - s) * cols + c] = 1
    }
    const [gt, ge] = tf.tidy(() => {
      const chunk = tf.slice(f, [s, 0], [e - s, cols])
      const m = tf.tensor2d(mask, [e - s, cols], "bool")
      const best = tf.max(tf.where(m, chunk, tf.fill([e - s, cols], -Infinity)), 1, true)
      return [
        tf.sum(tf.cast(tf.greater(chunk, best), "int32"), 1),
        tf.sum(tf.cast(tf.logicalAnd(tf.greaterEqual(chunk, best), tf.logicalNot(m)), "int32"), 1),
      ]
    })
    strict.set(gt.dataSync(), s)
    weak.set(ge.dataSync(), s)
    gt.dispose()
    ge.dispose()
  }
  return { strict, weak }
}

const recalls = (ranks: Ranks, ks: ReadonlyArray<number>, ties: TieRule): Record<number, number> => {
  const chosen = ties === "optimistic" ? ranks.strict : ranks.weak
  const out: Record<number, number> = {}
  for (const k of ks) out[k] = hitRate(chosen, k)
  return out
}

/**
 * Image-to-text and text-to-image Recall@K.
 *
 * @param similarity `images x texts` scores (cosine similarities).
 * @param captionImage for each text column, the index of its image row.
 * @throws MetricInputError on an empty matrix, a NaN score, a caption
 *   pointing outside the images, an image without captions, or a fold
 *   count that does not divide the images.
 * @since 0.1.0
 * @category constructors
 */
export const retrievalRecall = (
  similarity: ScoreMatrix,
  captionImage: ArrayLike<number> | tf.Tensor1D,
  options: RetrievalOptions = {},
): RetrievalResult => {
  const ks = options.ks ?? [1, 5, 10]
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new MetricInputError({ metric: METRIC, field: "ks", reason: `K = ${k} is not a positive integer` })
  }
  const ties = options.ties ?? "optimistic"
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS
  const m = chunked(similarity, METRIC, "similarity")
  if (m.rows === 0 || m.cols === 0) {
    throw new MetricInputError({ metric: METRIC, field: "similarity", reason: `empty matrix (${m.rows} x ${m.cols}): nothing to rank` })
  }
  const owner = checkIndices(captionImage, m.rows, m.cols, METRIC, "captionImage")
  const folds = options.folds ?? 1
  if (!Number.isInteger(folds) || folds < 1 || m.rows % folds !== 0) {
    throw new MetricInputError({ metric: METRIC, field: "folds", reason: `${folds} folds do not split ${m.rows} images evenly` })
  }
  const captions = new Int32Array(m.rows)
  owner.forEach((i) => captions[i]++)
  const lonely = captions.indexOf(0)
  if (lonely >= 0) throw new MetricInputError({ metric: METRIC, field: `captionImage`, reason: `image ${lonely} has no caption` })

  const size = m.rows / folds
  const perFold: Array<{ imageToText: Record<number, number>; textToImage: Record<number, number> }> = []
  for (let f = 0; f < folds; f++) {
    const a = f * size
    const b = a + size
    const cols: number[] = []
    owner.forEach((i, t) => { if (i >= a && i < b) cols.push(t) })
    const colImage = Int32Array.from(cols, (t) => owner[t] - a)
    const fold = foldMatrix(m, a, b, cols, chunkRows)
    try {
      const i2t = imageToTextRanks(fold, colImage, chunkRows)
      const foldT = tf.transpose(fold) as tf.Tensor2D
      try {
        const byText: ChunkedMatrix = { rows: cols.length, cols: size, chunk: (s, e) => tf.slice(foldT, [s, 0], [e - s, size]) }
        const t2i = targetRanks(byText, colImage, METRIC, "similarity^T", chunkRows)
        perFold.push({ imageToText: recalls(i2t, ks, ties), textToImage: recalls(t2i, ks, ties) })
      } finally {
        foldT.dispose()
      }
    } finally {
      fold.dispose()
    }
  }
  const avg = (pick: (p: (typeof perFold)[number]) => Record<number, number>) => {
    const out: Record<number, number> = {}
    for (const k of ks) out[k] = perFold.reduce((acc, p) => acc + pick(p)[k], 0) / folds
    return out
  }
  const imageToText = avg((p) => p.imageToText)
  const textToImage = avg((p) => p.textToImage)
  const mean: Record<number, number> = {}
  for (const k of ks) mean[k] = (imageToText[k] + textToImage[k]) / 2
  return { images: m.rows, texts: m.cols, folds, imageToText, textToImage, mean, perFold }
}

/** Rows `[a, b)` and columns `cols` of `m` as one tensor, NaN-checked. */
const foldMatrix = (m: ChunkedMatrix, a: number, b: number, cols: ReadonlyArray<number>, chunkRows: number): tf.Tensor2D => {
  const whole = cols.length === m.cols && cols.every((c, i) => c === i)
  const parts: tf.Tensor2D[] = []
  try {
    for (let s = a; s < b; s += chunkRows) {
      const e = Math.min(b, s + chunkRows)
      const chunk = m.chunk(s, e)
      try {
        assertNoNaN(chunk, s, METRIC, "similarity")
        parts.push(tf.tidy(() => (whole ? tf.clone(chunk) : (tf.gather(chunk, tf.tensor1d(Array.from(cols), "int32"), 1) as tf.Tensor2D))))
      } finally {
        chunk.dispose()
      }
    }
    return parts.length === 1 ? tf.clone(parts[0]) : (tf.concat(parts, 0) as tf.Tensor2D)
  } finally {
    for (const p of parts) p.dispose()
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FeatureRetrievalInput {
  /** Image embeddings, `images x d` (normalised here). */
  readonly imageFeatures: ScoreMatrix
  /** Caption embeddings, `texts x d` (normalised here). */
  readonly textFeatures: ScoreMatrix
  /** For each caption, the index of its image. */
  readonly captionImage: ArrayLike<number> | tf.Tensor1D
}

const normalizedRows = (m: ChunkedMatrix, rows: ReadonlyArray<number>, field: string): tf.Tensor2D => {
  const all = m.chunk(0, m.rows)
  try {
    return tf.tidy(() => {
      const picked = tf.gather(all, tf.tensor1d(Array.from(rows), "int32")) as tf.Tensor2D
      const norms = tf.norm(picked, "euclidean", 1, true)
      const bad = norms.dataSync().findIndex((v) => !(v > 0))
      if (bad >= 0) throw new MetricInputError({ metric: METRIC, field: `${field}[${rows[bad]}]`, reason: "embedding has zero norm or NaN" })
      return tf.div(picked, norms) as tf.Tensor2D
    })
  } finally {
    all.dispose()
  }
}

/**
 * Recall@K straight from CLIP embeddings: cosine similarities are computed
 * one fold at a time (a 1k x 5k block for COCO's 5 folds) instead of the
 * whole `images x texts` matrix. Same result as {@link retrievalRecall} on
 * the full cosine-similarity matrix.
 *
 * @throws MetricInputError as {@link retrievalRecall}, and on mismatched
 *   embedding widths or a zero embedding.
 * @since 0.1.0
 * @category constructors
 */
export const retrievalRecallFromFeatures = (input: FeatureRetrievalInput, options: RetrievalOptions = {}): RetrievalResult => {
  const img = chunked(input.imageFeatures, METRIC, "imageFeatures")
  const txt = chunked(input.textFeatures, METRIC, "textFeatures")
  if (img.rows === 0 || txt.rows === 0) throw new MetricInputError({ metric: METRIC, field: img.rows === 0 ? "imageFeatures" : "textFeatures", reason: "empty" })
  if (img.cols !== txt.cols) throw new MetricInputError({ metric: METRIC, field: "textFeatures", reason: `embedding width ${txt.cols} differs from imageFeatures width ${img.cols}` })
  const owner = checkIndices(input.captionImage, img.rows, txt.rows, METRIC, "captionImage")
  const folds = options.folds ?? 1
  if (!Number.isInteger(folds) || folds < 1 || img.rows % folds !== 0) {
    throw new MetricInputError({ metric: METRIC, field: "folds", reason: `${folds} folds do not split ${img.rows} images evenly` })
  }
  const ks = options.ks ?? [1, 5, 10]
  const size = img.rows / folds
  const parts: RetrievalResult[] = []
  for (let f = 0; f < folds; f++) {
    const imgRows = Array.from({ length: size }, (_, i) => f * size + i)
    const cols: number[] = []
    owner.forEach((i, t) => { if (i >= f * size && i < (f + 1) * size) cols.push(t) })
    if (cols.length === 0) throw new MetricInputError({ metric: METRIC, field: "captionImage", reason: `fold ${f} has no caption` })
    const a = normalizedRows(img, imgRows, "imageFeatures")
    try {
      const b = normalizedRows(txt, cols, "textFeatures")
      try {
        const sim = tf.matMul(a, b, false, true) as tf.Tensor2D
        try {
          parts.push(retrievalRecall(sim, Int32Array.from(cols, (t) => owner[t] - f * size), { ...options, folds: 1 }))
        } finally {
          sim.dispose()
        }
      } finally {
        b.dispose()
      }
    } finally {
      a.dispose()
    }
  }
  const avg = (pick: (r: RetrievalResult) => Readonly<Record<number, number>>) => {
    const out: Record<number, number> = {}
    for (const k of ks) out[k] = parts.reduce((acc, p) => acc + pick(p)[k], 0) / folds
    return out
  }
  const imageToText = avg((r) => r.imageToText)
  const textToImage = avg((r) => r.textToImage)
  const mean: Record<number, number> = {}
  for (const k of ks) mean[k] = (imageToText[k] + textToImage[k]) / 2
  return { images: img.rows, texts: txt.rows, folds, imageToText, textToImage, mean, perFold: parts.map((p) => p.perFold[0]) }
}
