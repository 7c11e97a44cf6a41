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
import { unitRows } from "./internal/normalize.js"
import { forEachChunk, hitRate, nanError, type Ranks } from "./internal/rank.js"
import { checkIndices, chunked, DEFAULT_CHUNK_ROWS, type ChunkedMatrix, type ScoreMatrix } from "./ScoreMatrix.js"

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

const recalls = (ranks: Ranks, ks: ReadonlyArray<number>, ties: TieRule): Record<number, number> => {
  const chosen = ties === "optimistic" ? ranks.strict : ranks.weak
  const out: Record<number, number> = {}
  for (const k of ks) out[k] = hitRate(chosen, k)
  return out
}

/**
 * Ranks of one fold: images `[a, b)` against the texts `cols` (global column
 * indices, each owned by an image of the fold). Two passes over the row
 * chunks: the first ranks images (their best caption is known within a row)
 * and collects each caption's own score, the second ranks captions.
 */
const foldRanks = (
  m: ChunkedMatrix,
  owner: Int32Array,
  a: number,
  b: number,
  cols: Int32Array,
  chunkRows: number,
): { i2t: Ranks; t2i: Ranks } => {
  const nT = cols.length
  const i2t = { strict: new Int32Array(b - a), weak: new Int32Array(b - a) }
  const t2i = { strict: new Int32Array(nT), weak: new Int32Array(nT) }
  // Captions of each image of the fold, as positions in `cols`.
  const mine: number[][] = Array.from({ length: b - a }, () => [])
  cols.forEach((t, j) => mine[owner[t] - a].push(j))
  const ownScore = new Float32Array(nT)
  const width = m.cols
  forEachChunk(
    m,
    chunkRows,
    (data, s, e) => {
      for (let r = s; r < e; r++) {
        const base = (r - s) * width
        let best = -Infinity
        for (const j of mine[r - a]) {
          const v = data[base + cols[j]]
          ownScore[j] = v
          if (v > best) best = v
        }
        let gt = 0
        let ge = 0
        for (let j = 0; j < nT; j++) {
          const v = data[base + cols[j]]
          if (v > best) gt++
          else if (v === best && owner[cols[j]] !== r) ge++
          else if (v !== v) throw nanError(METRIC, "similarity", r, cols[j])
        }
        i2t.strict[r - a] = gt
        i2t.weak[r - a] = gt + ge
      }
    },
    a,
    b,
  )
  forEachChunk(
    m,
    chunkRows,
    (data, s, e) => {
      for (let r = s; r < e; r++) {
        const base = (r - s) * width
        for (let j = 0; j < nT; j++) {
          const v = data[base + cols[j]]
          const own = ownScore[j]
          if (v > own) t2i.strict[j]++
          else if (v === own && owner[cols[j]] !== r) t2i.weak[j]++
        }
      }
    },
    a,
    b,
  )
  for (let j = 0; j < nT; j++) t2i.weak[j] += t2i.strict[j]
  return { i2t, t2i }
}

/** Checks options and caption owners shared by both entry points. */
const prepare = (images: number, texts: number, captionImage: ArrayLike<number> | tf.Tensor1D, options: RetrievalOptions) => {
  const ks = options.ks ?? [1, 5, 10]
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new MetricInputError({ metric: METRIC, field: "ks", reason: `K = ${k} is not a positive integer` })
  }
  const owner = checkIndices(captionImage, images, texts, METRIC, "captionImage")
  const folds = options.folds ?? 1
  if (!Number.isInteger(folds) || folds < 1 || images % folds !== 0) {
    throw new MetricInputError({ metric: METRIC, field: "folds", reason: `${folds} folds do not split ${images} images evenly` })
  }
  const captions = new Int32Array(images)
  owner.forEach((i) => captions[i]++)
  const lonely = captions.indexOf(0)
  if (lonely >= 0) throw new MetricInputError({ metric: METRIC, field: `captionImage`, reason: `image ${lonely} has no caption` })
  const size = images / folds
  const foldCols = Array.from({ length: folds }, (_, f) => {
    const cols: number[] = []
    owner.forEach((i, t) => { if (i >= f * size && i < (f + 1) * size) cols.push(t) })
    return Int32Array.from(cols)
  })
  return { ks, owner, folds, size, foldCols, ties: options.ties ?? "optimistic", chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS }
}

const combine = (
  images: number,
  texts: number,
  ks: ReadonlyArray<number>,
  perFold: ReadonlyArray<{ imageToText: Record<number, number>; textToImage: Record<number, number> }>,
): RetrievalResult => {
  const avg = (pick: (p: (typeof perFold)[number]) => Record<number, number>) => {
    const out: Record<number, number> = {}
    for (const k of ks) out[k] = perFold.reduce((acc, p) => acc + pick(p)[k], 0) / perFold.length
    return out
  }
  const imageToText = avg((p) => p.imageToText)
  const textToImage = avg((p) => p.textToImage)
  const mean: Record<number, number> = {}
  for (const k of ks) mean[k] = (imageToText[k] + textToImage[k]) / 2
  return { images, texts, folds: perFold.length, imageToText, textToImage, mean, perFold }
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
  const m = chunked(similarity, METRIC, "similarity")
  if (m.rows === 0 || m.cols === 0) {
    throw new MetricInputError({ metric: METRIC, field: "similarity", reason: `empty matrix (${m.rows} x ${m.cols}): nothing to rank` })
  }
  const p = prepare(m.rows, m.cols, captionImage, options)
  const perFold = p.foldCols.map((cols, f) => {
    const { i2t, t2i } = foldRanks(m, p.owner, f * p.size, (f + 1) * p.size, cols, p.chunkRows)
    return { imageToText: recalls(i2t, p.ks, p.ties), textToImage: recalls(t2i, p.ks, p.ties) }
  })
  return combine(m.rows, m.cols, p.ks, perFold)
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
  if (img.rows === 0 || txt.rows === 0) {
    throw new MetricInputError({ metric: METRIC, field: img.rows === 0 ? "imageFeatures" : "textFeatures", reason: "empty" })
  }
  if (img.cols !== txt.cols) {
    throw new MetricInputError({ metric: METRIC, field: "textFeatures", reason: `embedding width ${txt.cols} differs from imageFeatures width ${img.cols}` })
  }
  const p = prepare(img.rows, txt.rows, input.captionImage, options)
  const images = unitRows(img, 0, img.rows, METRIC, "imageFeatures")
  let texts: tf.Tensor2D
  try {
    texts = unitRows(txt, 0, txt.rows, METRIC, "textFeatures")
  } catch (e) {
    images.dispose()
    throw e
  }
  try {
    const perFold = p.foldCols.map((cols, f) => {
      const sim = tf.tidy(() =>
        tf.matMul(tf.slice(images, [f * p.size, 0], [p.size, img.cols]), tf.gather(texts, tf.tensor1d(cols, "int32")), false, true),
      ) as tf.Tensor2D
      try {
        const local = Int32Array.from(cols, (t) => p.owner[t] - f * p.size)
        const r = retrievalRecall(sim, local, { ...options, folds: 1 })
        return r.perFold[0]
      } finally {
        sim.dispose()
      }
    })
    return combine(img.rows, txt.rows, p.ks, perFold)
  } finally {
    images.dispose()
    texts.dispose()
  }
}
