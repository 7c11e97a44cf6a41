/**
 * GeoDL (Simon, Koniusz & Harandi, "On Learning the Geodesic Path for
 * Incremental Learning", CVPR 2021), simplified for CLIP's image features.
 *
 * For a batch, the old (frozen previous) and new models' image features span
 * two k-dimensional subspaces with orthonormal bases P1, P2 (d x k, from the
 * batch's principal directions). The Grassmann geodesic between them is
 *
 *   Phi(nu) = P1 U cos(nu Theta) + R sin(nu Theta),   nu in [0, 1],
 *   P1^T P2 = U cos(Theta) V^T,   R = (P2 V - P1 U cos Theta) / sin Theta,
 *
 * and features are compared through all the subspaces along it with the
 * kernel `Q = integral_0^1 Phi(nu) Phi(nu)^T d nu`. The distillation loss asks
 * each sample's new feature to stay aligned with its old one under Q:
 *
 *   L_GeoDL = mean_i ( 1 - z_o,i^T Q z_n,i / sqrt(z_o,i^T Q z_o,i * z_n,i^T Q z_n,i) ).
 *
 * Simplifications (documented): Q is computed from the features without
 * gradient (the subspaces are treated as constants for the step) and the
 * integral is a `steps`-point average over nu; features are the projected
 * image embeddings rather than intermediate feature maps.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { type Matrix, matMul, rowSpaceBasis, symmetricEigen, transpose } from "./internal/linalg.js"
import { defaultsOf, type OptionsOf } from "./definition.js"
import { lwfActive } from "./lwf.js"
import type { ExtraLoss, Method } from "./method.js"
import { GeodlOptions as GeodlSchema } from "./options.js"
import { l2Normalize } from "./similarity.js"
import { teacherImages } from "./teacher.js"

/**
 * The geodesic flow kernel Q (d x d) between the subspaces spanned by bases
 * `p1` and `p2` (d x k, orthonormal columns), averaged over `steps` points.
 *
 * @since 0.1.0
 * @category utils
 */
export const geodesicFlowKernel = (p1: Matrix, p2: Matrix, steps = 5): Matrix => {
  const d = p1.length
  const k = p1[0].length
  const m = matMul(transpose(p1), p2) // k x k = U G V^T
  const { values, vectors: v } = symmetricEigen(matMul(transpose(m), m))
  const gamma = values.map((x) => Math.min(1, Math.sqrt(Math.max(x, 0))))
  const mv = matMul(m, v)
  const u = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (gamma[j] > 1e-8 ? mv[i][j] / gamma[j] : i === j ? 1 : 0)))
  const theta = gamma.map((g) => Math.acos(g))
  const p1u = matMul(p1, u)
  const p2v = matMul(p2, v)
  const r = p1u.map((row, i) => row.map((x, j) => (Math.sin(theta[j]) > 1e-8 ? (p2v[i][j] - x * gamma[j]) / Math.sin(theta[j]) : 0)))
  const q: Matrix = Array.from({ length: d }, () => new Array<number>(d).fill(0))
  for (let s = 0; s < steps; s++) {
    const nu = steps === 1 ? 0.5 : s / (steps - 1)
    const phi = p1u.map((row, i) => row.map((x, j) => x * Math.cos(nu * theta[j]) + r[i][j] * Math.sin(nu * theta[j])))
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
      let acc = 0
      for (let j = 0; j < k; j++) acc += phi[a][j] * phi[b][j]
      q[a][b] += acc / steps
    }
  }
  return q
}

/**
 * The GeoDL loss of old and new features ([n, d]) under kernel `q` ([d, d]).
 *
 * @since 0.1.0
 * @category losses
 */
export const geodlLoss = (oldFeatures: tf.Tensor2D, newFeatures: tf.Tensor2D, q: tf.Tensor2D): tf.Scalar =>
  tf.tidy("geodlLoss", () => {
    const qo = tf.matMul(oldFeatures, q)
    const qn = tf.matMul(newFeatures, q)
    const cross = tf.sum(tf.mul(qo, newFeatures), 1)
    const oo = tf.sum(tf.mul(qo, oldFeatures), 1)
    const nn = tf.sum(tf.mul(qn, newFeatures), 1)
    return tf.mean(tf.sub(1, tf.div(cross, tf.sqrt(tf.maximum(tf.mul(oo, nn), 1e-12))))) as tf.Scalar
  })

/**
 * @since 0.1.0
 * @category models
 */
export type GeodlOptions = OptionsOf<typeof GeodlSchema>

/**
 * GeoDL as a method (teacher: the previous session's model).
 *
 * @since 0.1.0
 * @category constructors
 */
export const geodl = (options: Partial<GeodlOptions> = {}): Method => {
  const o = { ...defaultsOf(GeodlSchema), ...options }
  return {
    name: "GeoDL",
    setup: (s) => {
      if (!lwfActive(s, o.firstSession)) return { dispose: () => {} }
      const teacher = teacherImages("GeoDL", "previousImages", s.session.images.size, () => s.previous, s.previousImages)
      return {
        extraLoss: (input): ExtraLoss => {
          const oldF = l2Normalize(teacher.encode(input.indices, input.images))
          const newF = l2Normalize(input.studentImages)
          const zo = oldF.arraySync() as Matrix
          const zn = tf.tidy(() => newF.arraySync() as Matrix)
          const k = Math.max(1, Math.min(o.rank, zo.length, zo[0].length))
          const q = tf.tensor2d(geodesicFlowKernel(rowSpaceBasis(zo, k), rowSpaceBasis(zn, k), o.steps))
          const l = geodlLoss(oldF, newF, q)
          return { loss: tf.mul(l, o.weight) as tf.Scalar, metrics: { geodl: l } }
        },
        dispose: () => teacher.dispose(),
      }
    },
  }
}
