import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"

/** Central finite differences of a scalar function of one tensor, in float64 on the JS side. */
const numericGrad = (f: (x: tf.Tensor) => tf.Scalar, x0: number[], shape: number[], h = 1e-2): number[] =>
  x0.map((_, i) => {
    const plus = x0.slice(); plus[i] += h
    const minus = x0.slice(); minus[i] -= h
    const fp = tf.tidy(() => f(tf.tensor(plus, shape)).dataSync()[0])
    const fm = tf.tidy(() => f(tf.tensor(minus, shape)).dataSync()[0])
    return (fp - fm) / (2 * h)
  })

const check = (name: string, f: (x: tf.Tensor) => tf.Scalar, shape: number[], seed = 1) => {
  test(`gradient of ${name} matches finite differences`, () => {
    const size = shape.reduce((a, b) => a * b, 1)
    const x0 = Array.from({ length: size }, (_, i) => Math.sin(seed * 7 + i * 1.3) * 0.9 + 0.05 * i)
    const analytic = tf.tidy(() => Array.from(tf.grad(f)(tf.tensor(x0, shape)).dataSync()))
    const numeric = numericGrad(f, x0, shape)
    analytic.forEach((g, i) => assert.ok(Math.abs(g - numeric[i]) < 2e-2 * Math.max(1, Math.abs(numeric[i])), `${name}[${i}]: ${g} vs ${numeric[i]}`))
  })
}

const w = () => tf.tensor2d([[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]])
check("matMul / add / mul / sum", (x) => tf.sum(tf.mul(tf.add(tf.matMul(x as tf.Tensor2D, w(), false, false), 0.5), 2)), [2, 2])
check("matMul transposeB and broadcasting add", (x) => tf.sum(tf.square(tf.add(tf.matMul(x as tf.Tensor2D, w(), false, true), tf.tensor1d([1, -1])))), [3, 3])
check("div / sub / exp / log / sqrt", (x) => tf.sum(tf.log(tf.add(tf.exp(tf.div(tf.sub(x, 0.2), tf.sqrt(tf.add(tf.square(x), 1)))), 1))), [2, 3])
check("softmax / mean", (x) => tf.mean(tf.mul(tf.softmax(x), tf.tensor2d([[1, 2, 3], [-1, 0, 4]]))), [2, 3])
check("logSoftmax / max / maximum / minimum", (x) => tf.add(tf.sum(tf.mul(tf.logSoftmax(x), tf.tensor2d([[1, 0, 0], [0, 0, 1]]))), tf.sum(tf.minimum(tf.maximum(x, -0.5), 0.7))), [2, 3])
check("rsqrt / erf / sigmoid / tanh", (x) => tf.sum(tf.add(tf.mul(tf.rsqrt(tf.add(tf.square(x), 1)), tf.erf(x)), tf.mul(tf.sigmoid(x), tf.tanh(x)))), [2, 3])
check("reshape / transpose / slice / concat / tile", (x) => {
  const t = tf.transpose(tf.reshape(x, [3, 2]))
  const c = tf.concat([tf.slice(t, [0, 1], [2, 2]), t], 1)
  return tf.sum(tf.mul(tf.tile(c, [2, 1]), tf.reshape(tf.range(0, 20), [4, 5])))
}, [6])
check("gather (embedding lookup) and stack", (x) => {
  const g = tf.gather(x, tf.tensor1d([2, 0, 2], "int32"))
  return tf.sum(tf.mul(tf.stack([g, tf.square(g)]), tf.reshape(tf.range(1, 13), [2, 3, 2])))
}, [3, 2])
check("gather along axis 1", (x) => tf.sum(tf.mul(tf.gather(x, tf.tensor2d([[1, 1], [0, 2]], [2, 2], "int32"), 1), tf.reshape(tf.range(1, 9), [2, 2, 2]))), [2, 3])
check("conv2d as non-overlapping patches", (x) => {
  const img = tf.reshape(x, [1, 4, 4, 1]) as tf.Tensor4D
  const filt = tf.div(tf.reshape(tf.range(1, 9), [2, 2, 1, 2]), 10) as tf.Tensor4D
  return tf.sum(tf.square(tf.conv2d(img, filt, 2, "valid")))
}, [16])
check("conv2d filter gradient", (x) => {
  const img = tf.reshape(tf.div(tf.range(0, 16), 8), [1, 4, 4, 1]) as tf.Tensor4D
  return tf.sum(tf.square(tf.conv2d(img, tf.reshape(x, [2, 2, 1, 2]) as tf.Tensor4D, 2, "valid")))
}, [8])
check("pow / abs / norm", (x) => tf.add(tf.sum(tf.pow(tf.abs(x), 3)), tf.norm(x)), [2, 3])
check("split / unstack", (x) => {
  const [a, b] = tf.split(x, [1, 2], 1)
  const [r0, r1] = tf.unstack(b)
  return tf.sum(tf.add(tf.mul(tf.sum(a), r0), tf.square(r1)))
}, [2, 3])
