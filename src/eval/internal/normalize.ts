/**
 * Row-wise L2 normalisation in plain JavaScript (one pass for the norms, one
 * to scale), refusing zero or NaN rows by name: cosine similarity is
 * undefined for them, and letting NaN through would only fail later and
 * further from the cause.
 */
import { tf } from "../../backend/tf.js"
import { MetricInputError } from "../EvalError.js"
import type { ChunkedMatrix } from "../ScoreMatrix.js"

/** Rows `[start, end)` of `m`, each scaled to unit length, as a new tensor. */
export const unitRows = (m: ChunkedMatrix, start: number, end: number, metric: string, field: string): tf.Tensor2D => {
  const chunk = m.chunk(start, end)
  let src: Float32Array
  try {
    src = chunk.dataSync() as Float32Array
  } finally {
    chunk.dispose()
  }
  const d = m.cols
  const n = end - start
  const out = new Float32Array(n * d)
  for (let k = 0; k < n; k++) {
    let ss = 0
    for (let j = 0; j < d; j++) ss += src[k * d + j] * src[k * d + j]
    if (!(ss > 0) || !Number.isFinite(ss)) {
      throw new MetricInputError({
        metric,
        field: `${field}[${start + k}]`,
        reason: Number.isNaN(ss) ? "embedding holds NaN" : ss === 0 ? "embedding has zero norm: cosine similarity undefined" : "embedding is not finite",
      })
    }
    const inv = 1 / Math.sqrt(ss)
    for (let j = 0; j < d; j++) out[k * d + j] = src[k * d + j] * inv
  }
  return tf.tensor2d(out, [n, d], "float32")
}
