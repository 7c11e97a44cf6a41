// The text bank VR-LwF (pool), LwF-VR (ZSCL) and ZSCL share: which features each model gives.
import assert from "node:assert/strict"
import { test } from "node:test"
import { tf } from "../../src/backend/tf.js"
import { textBank } from "../../src/methods/textBank.js"
import { embedVocabulary } from "../../src/methods/vocabulary.js"
import { classPrompt, tinyClip, values } from "./helpers.js"

test("text bank: the teacher's features once, the student's frozen, shared or re-encoded; frees only its own", () => {
  const teacher = tinyClip(1)
  const student = tinyClip(2)
  const ids = [0, 1, 2, 3].map(classPrompt)
  const rows = [2, 0]
  const want = (m: typeof teacher) => tf.tidy(() => tf.gather(embedVocabulary(m, ids), rows))
  const close = (a: tf.Tensor, b: tf.Tensor) => values(a).forEach((x, i) => assert.ok(Math.abs(x - values(b)[i]!) < 1e-5))
  const before = tf.memory().numTensors
  for (const mode of ["frozen", "shared", "trained"] as const) {
    const bank = textBank(ids, teacher, student, mode)
    assert.equal(bank.size, 4)
    tf.tidy(() => {
      const { teacher: t, student: s } = bank.gather(rows)
      close(t, want(teacher))
      if (mode === "shared") assert.equal(s, t)
      else close(s, want(student))
    })
    bank.dispose()
  }
  assert.equal(tf.memory().numTensors, before)
  // Given teacher features are used as they are and left to their owner.
  const given = tf.tidy(() => tf.fill([4, teacher.config.embedDim], 7) as tf.Tensor2D)
  const bank = textBank(ids, teacher, student, "trained", given)
  tf.tidy(() => assert.deepEqual(values(bank.gather([1]).teacher), new Array(teacher.config.embedDim).fill(7)))
  // The student's features of a trained text tower carry its gradient.
  const { grads } = tf.variableGrads(() => tf.sum(bank.gather([1]).student) as tf.Scalar, [...student.params.values()])
  assert.ok(Object.values(grads).some((g) => values(g).some((x) => x !== 0)))
  bank.dispose()
  assert.equal(given.isDisposed, false)
  given.dispose()
  teacher.dispose()
  student.dispose()
})
