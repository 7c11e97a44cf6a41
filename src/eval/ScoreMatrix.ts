/**
 * The score matrices the metrics read: logits or cosine similarities, one
 * row per query (image), one column per candidate (class or caption).
 *
 * Three forms are accepted so the same metric serves a tfjs model output, a
 * cached tensor artifact and a hand-written test case. Metrics read a matrix
 * in row chunks (`chunkRows`) so that a 10k x 1000 logit matrix or a 5k x 25k
 * retrieval similarity never has to exist twice in memory.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { MetricInputError } from "./EvalError.js"

/**
 * A dense row-major float matrix without tfjs.
 *
 * @since 0.1.0
 * @category models
 */
export interface DenseMatrix {
  readonly data: Float32Array
  readonly rows: number
  readonly cols: number
}

/**
 * Anything a metric can score: a rank-2 tensor, a dense matrix, or nested
 * arrays (handy in tests).
 *
 * @since 0.1.0
 * @category models
 */
export type ScoreMatrix = tf.Tensor2D | DenseMatrix | ReadonlyArray<ReadonlyArray<number>>

/**
 * Default number of rows scored per chunk: bounds the temporaries of one
 * chunk to `rows x cols` floats (about 4 MB for 1000 columns).
 *
 * @since 0.1.0
 * @category utils
 */
export const DEFAULT_CHUNK_ROWS = 1024

/** @internal */
export interface ChunkedMatrix {
  readonly rows: number
  readonly cols: number
  /** Rows `[start, end)` as a fresh tensor the caller disposes. */
  readonly chunk: (start: number, end: number) => tf.Tensor2D
}

const isTensor = (m: ScoreMatrix): m is tf.Tensor2D => m instanceof tf.Tensor

const isDense = (m: ScoreMatrix): m is DenseMatrix =>
  !Array.isArray(m) && !isTensor(m) && (m as DenseMatrix).data instanceof Float32Array

/**
 * Normalises the three input forms into a row-chunk reader, checking shape.
 *
 * @internal
 */
export const chunked = (m: ScoreMatrix, metric: string, field: string): ChunkedMatrix => {
  const fail = (reason: string) => new MetricInputError({ metric, field, reason })
  if (isTensor(m)) {
    if (m.rank !== 2) throw fail(`expected a rank-2 tensor, got shape [${m.shape.join(", ")}]`)
    const [rows, cols] = m.shape
    return { rows, cols, chunk: (s, e) => tf.slice(m, [s, 0], [e - s, cols]) as tf.Tensor2D }
  }
  if (isDense(m)) {
    const { data, rows, cols } = m
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
      throw fail(`data has ${data.length} values, not rows x cols = ${rows} x ${cols}`)
    }
    return { rows, cols, chunk: (s, e) => tf.tensor2d(data.subarray(s * cols, e * cols), [e - s, cols], "float32") }
  }
  const arr = m as ReadonlyArray<ReadonlyArray<number>>
  const rows = arr.length
  const cols = rows === 0 ? 0 : arr[0].length
  arr.forEach((r, i) => {
    if (r.length !== cols) throw fail(`row ${i} has ${r.length} values, row 0 has ${cols}`)
  })
  return {
    rows,
    cols,
    chunk: (s, e) => {
      const out = new Float32Array((e - s) * cols)
      for (let i = s; i < e; i++) out.set(arr[i], (i - s) * cols)
      return tf.tensor2d(out, [e - s, cols], "float32")
    },
  }
}

/**
 * Reads labels (or other integer indices) and checks each lies in `[0, n)`.
 *
 * @internal
 */
export const checkIndices = (
  labels: ArrayLike<number> | tf.Tensor1D,
  n: number,
  length: number,
  metric: string,
  field: string,
): Int32Array => {
  const arr = labels instanceof tf.Tensor ? (labels.dataSync() as ArrayLike<number>) : labels
  if (arr.length !== length) {
    throw new MetricInputError({ metric, field, reason: `has ${arr.length} entries, expected ${length}` })
  }
  const out = new Int32Array(arr.length)
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i]
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new MetricInputError({ metric, field: `${field}[${i}]`, reason: `${v} is not an index in [0, ${n})` })
    }
    out[i] = v
  }
  return out
}
