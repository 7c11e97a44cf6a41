/**
 * Small dense linear algebra on plain arrays (tfjs has no SVD or symmetric
 * eigensolver): what GeoDL needs for subspaces of a batch's features.
 *
 * @since 0.1.0
 */

export type Matrix = number[][]

export const transpose = (a: Matrix): Matrix => (a.length === 0 ? [] : a[0].map((_, j) => a.map((r) => r[j])))

export const matMul = (a: Matrix, b: Matrix): Matrix =>
  a.map((r) => b[0].map((_, j) => r.reduce((s, x, k) => s + x * b[k][j], 0)))

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations:
 * eigenvalues in decreasing order, eigenvectors as the columns of `vectors`.
 */
export const symmetricEigen = (input: Matrix, sweeps = 60): { values: number[]; vectors: Matrix } => {
  const n = input.length
  const a = input.map((r) => r.slice())
  const v: Matrix = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)))
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q]
    if (off < 1e-22) break
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < n; k++) {
          const akp = a[k][p]
          const akq = a[k][q]
          a[k][p] = c * akp - s * akq
          a[k][q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k]
          const aqk = a[q][k]
          a[p][k] = c * apk - s * aqk
          a[q][k] = s * apk + c * aqk
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p]
          const vkq = v[k][q]
          v[k][p] = c * vkp - s * vkq
          v[k][q] = s * vkp + c * vkq
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i])
  return { values: order.map((i) => a[i][i]), vectors: v.map((r) => order.map((i) => r[i])) }
}

/**
 * An orthonormal basis (d x k, columns) of the top-k principal directions of
 * the rows of `z` (n x d), through whichever Gram matrix is smaller.
 */
export const rowSpaceBasis = (z: Matrix, k: number): Matrix => {
  const n = z.length
  const d = z[0].length
  if (d <= n) return symmetricEigen(matMul(transpose(z), z)).vectors.map((r) => r.slice(0, k))
  const { values, vectors } = symmetricEigen(matMul(z, transpose(z)))
  const cols: number[][] = []
  for (let j = 0; j < k; j++) {
    const lambda = Math.max(values[j], 1e-12)
    cols.push(Array.from({ length: d }, (_, c) => z.reduce((s, row, i) => s + row[c] * vectors[i][j], 0) / Math.sqrt(lambda)))
  }
  return transpose(cols)
}
