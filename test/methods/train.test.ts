import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { makeAdam } from "../../src/methods/adam.js"
import { InvalidOptionError, TrainingInterruptedError } from "../../src/methods/errors.js"
import { makeRng } from "../../src/random.js"
import { clipByGlobalNorm, learningRateAt, paperDefaults, plateaued, train, type TrainOptions } from "../../src/methods/train.js"
import { close, values } from "./helpers.js"

const opts = (over: Partial<TrainOptions> = {}): TrainOptions => ({ ...paperDefaults, learningRate: 0.05, epochs: 3, batchSize: 2, clipNorm: 0, decayEvery: 0, ...over })

/** Least squares: fit w to targets y_i = 3 (for every example). */
const problem = (w: tf.Variable) => ({
  name: "toy",
  size: 6,
  variables: [w],
  loss: (batch: ReadonlyArray<number>) => {
    const d = tf.sub(w, 3)
    return { loss: tf.mul(tf.sum(tf.square(d)), batch.length / 2) as tf.Scalar, metrics: { w: tf.sum(w) as tf.Scalar } }
  },
})

test("paper defaults are the authors' ViT-B/32 settings", () => {
  assert.deepEqual(
    [paperDefaults.learningRate, paperDefaults.epochs, paperDefaults.batchSize, paperDefaults.clipNorm, paperDefaults.decayEvery, paperDefaults.decayFactor, paperDefaults.seed],
    [1e-6, 15, 100, 1, 10, 0.1, 10],
  )
})

test("step decay multiplies the rate by 0.1 every N epochs", () => {
  const o = opts({ learningRate: 1, decayEvery: 10, decayFactor: 0.1 })
  assert.deepEqual([0, 9, 10, 19, 20].map((e) => learningRateAt(o, e)).map((x) => +x.toPrecision(6)), [1, 1, 0.1, 0.1, 0.01])
  assert.equal(learningRateAt(opts({ learningRate: 1 }), 50), 1)
})

test("Adam's first step moves each weight by lr * sign(g) (bias-corrected)", () => {
  const v = tf.variable(tf.tensor1d([1, -2]))
  const adam = makeAdam([v], { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 })
  adam.apply([tf.tensor1d([0.5, -4])], 0.1)
  // m_hat = g, v_hat = g^2 -> step = lr * g / |g|
  assert.ok(values(v).every((x, i) => close(x, [0.9, -1.9][i], 1e-6)))
  // second step with g = [0.5, 0]: m = [.095, -.36], s = [.0004998, .015984]... computed step for w0 = lr * 1 again
  adam.apply([tf.tensor1d([0.5, 0]), ], 0.1)
  assert.ok(close(values(v)[0], 0.8, 1e-6))
  adam.dispose()
  v.dispose()
})

test("clipByGlobalNorm scales all gradients by maxNorm / norm", () => {
  // global norm of [3] and [4] is 5
  const { grads, norm } = clipByGlobalNorm([tf.tensor1d([3]), undefined, tf.tensor1d([4])], 1)
  assert.equal(norm, 5)
  assert.ok(close(values(grads[0]!)[0], 0.6, 1e-5) && close(values(grads[2]!)[0], 0.8, 1e-5))
  assert.equal(grads[1], undefined)
  const unchanged = clipByGlobalNorm([tf.tensor1d([0.3])], 1)
  assert.ok(close(values(unchanged.grads[0]!)[0], 0.3))
})

test("train converges, reports progress, and keeps the tensor count constant", async () => {
  const w = tf.variable(tf.tensor1d([0, 0]))
  const counts: number[] = []
  const steps: number[] = []
  const r = await train(problem(w), opts({ epochs: 20, learningRate: 0.2 }), {
    onProgress: (p) => {
      counts.push(tf.memory().numTensors)
      steps.push(p.step)
      assert.equal(p.total, 60)
    },
  })
  assert.equal(r.steps, 60)
  assert.deepEqual(steps, Array.from({ length: 60 }, (_, i) => i + 1))
  assert.ok(counts.every((c) => c === counts[0]), `tensor counts ${counts.slice(0, 5)}...`)
  assert.ok(values(w).every((x) => Math.abs(x - 3) < 0.1), `w = ${values(w)}`)
  assert.ok(r.epochs[19].loss < r.epochs[0].loss)
  w.dispose()
})

test("train stops between steps when its AbortSignal fires", async () => {
  const w = tf.variable(tf.tensor1d([0]))
  const ac = new AbortController()
  await assert.rejects(
    train(problem(w), opts({ epochs: 5 }), { signal: ac.signal, onProgress: (p) => { if (p.step === 4) ac.abort() } }),
    (e: unknown) => e instanceof TrainingInterruptedError && e.step === 4 && e.total === 15,
  )
  w.dispose()
})

test("the same seed gives the same run; the batch order depends on the seed", async () => {
  const run = async (seed: number) => {
    const order: number[][] = []
    const w = tf.variable(tf.tensor1d([0]))
    await train({ ...problem(w), loss: (b) => { order.push([...b]); return problem(w).loss(b) } }, opts({ seed }))
    w.dispose()
    return order
  }
  assert.deepEqual(await run(1), await run(1))
  assert.notDeepEqual(await run(1), await run(2))
})

test("invalid options are named", async () => {
  const w = tf.variable(tf.tensor1d([0]))
  await assert.rejects(train(problem(w), opts({ batchSize: 0 })), /toy: option 'batchSize' must be a positive integer/)
  w.dispose()
})

test("the PRNG is deterministic and uniform enough", () => {
  const a = makeRng(7)
  const b = makeRng(7)
  const xs = Array.from({ length: 2000 }, () => a.next())
  assert.deepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => b.next()))
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  assert.ok(Math.abs(mean - 0.5) < 0.03)
  assert.deepEqual(makeRng(1).permutation(10).slice().sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
})

test("plateaued: no improvement beyond minDelta over the best earlier score for `patience` epochs", () => {
  assert.equal(plateaued([0.5, 0.6], 2), false) // too few epochs to judge
  assert.equal(plateaued([0.5, 0.6, 0.6, 0.55], 2), true)
  assert.equal(plateaued([0.5, 0.6, 0.6, 0.61], 2), false)
  assert.equal(plateaued([0.5, 0.6, 0.6, 0.61], 2, 0.02), true)
  assert.equal(plateaued([0.9, 0.5, 0.6, 0.7], 3), true) // the best came first
})

test("train stops at a plateau of the validation score and reports the scores", async () => {
  const w = tf.variable(tf.tensor1d([0, 0]))
  const scores = [0.2, 0.5, 0.6, 0.6, 0.59, 0.7]
  let read = 0
  const seen: Array<[number, number | undefined]> = []
  const r = await train(problem(w), opts({ epochs: 6, patience: 2 }), {
    score: () => scores[read++]!,
    onEpoch: (e, s) => seen.push([e, s])
  })
  assert.equal(r.epochs.length, 5) // 0.6 then 0.6, 0.59: two epochs without improvement
  assert.deepEqual(r.scores, scores.slice(0, 5))
  assert.equal(r.plateaued, true)
  assert.equal(r.steps, 15)
  assert.deepEqual(seen.map(([e]) => e), [0, 1, 2, 3, 4])
  const full = await train(problem(w), opts({ epochs: 3 }), { score: () => 1 })
  assert.equal(full.epochs.length, 3) // a score without `patience` never stops training
  assert.equal(full.plateaued, false)
  await assert.rejects(train(problem(w), opts({ patience: 2 })), InvalidOptionError) // patience needs a score
  await assert.rejects(train(problem(w), opts({ patience: 0 }), { score: () => 1 }), InvalidOptionError)
  w.dispose()
})
