/**
 * The one ranking rule every metric shares: the rank of a target candidate
 * in a row is the number of candidates scoring strictly higher (optimistic:
 * ties go in the target's favour), or the number of *other* candidates
 * scoring at least as high (pessimistic). A top-k / Recall@k hit is
 * `rank < k`. The gap between the two flags ties, e.g. a collapsed model
 * that gives every class the same score.
 */
import { tf } from "../../backend/tf.js"
import { assertNoNaN, DEFAULT_CHUNK_ROWS, type ChunkedMatrix } from "../ScoreMatrix.js"

/** Per-row ranks under both tie conventions. */
export interface Ranks {
  readonly strict: Int32Array
  readonly weak: Int32Array
}

/**
 * Ranks of `target[r]` within row `r`, read chunk by chunk. `target` must
 * already be validated against `m.cols`.
 */
export const targetRanks = (
  m: ChunkedMatrix,
  target: Int32Array,
  metric: string,
  field: string,
  chunkRows = DEFAULT_CHUNK_ROWS,
): Ranks => {
  const strict = new Int32Array(m.rows)
  const weak = new Int32Array(m.rows)
  for (let s = 0; s < m.rows; s += chunkRows) {
    const e = Math.min(m.rows, s + chunkRows)
    const chunk = m.chunk(s, e)
    try {
      assertNoNaN(chunk, s, metric, field)
      const [gt, ge] = tf.tidy(() => {
        const idx = new Int32Array((e - s) * 2)
        for (let r = s; r < e; r++) {
          idx[(r - s) * 2] = r - s
          idx[(r - s) * 2 + 1] = target[r]
        }
        const own = tf.expandDims(tf.gatherND(chunk, tf.tensor2d(idx, [e - s, 2], "int32")), 1)
        return [
          tf.sum(tf.cast(tf.greater(chunk, own), "int32"), 1),
          tf.sum(tf.cast(tf.greaterEqual(chunk, own), "int32"), 1),
        ]
      })
      strict.set(gt.dataSync(), s)
      const geData = ge.dataSync()
      for (let i = 0; i < geData.length; i++) weak[s + i] = geData[i] - 1
      gt.dispose()
      ge.dispose()
    } finally {
      chunk.dispose()
    }
  }
  return { strict, weak }
}

/** Fraction of ranks below `k`. */
export const hitRate = (ranks: Int32Array, k: number): number => {
  let hits = 0
  for (let i = 0; i < ranks.length; i++) if (ranks[i] < k) hits++
  return hits / ranks.length
}

/** Number of rows whose target is tied with another candidate at its rank. */
export const tieCount = (r: Ranks): number => {
  let n = 0
  for (let i = 0; i < r.strict.length; i++) if (r.strict[i] !== r.weak[i]) n++
  return n
}
