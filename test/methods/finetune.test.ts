import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { finetune } from "../../src/methods/finetune.js"
import { ft } from "../../src/methods/method.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { quickOptions, tinyClip, toySession } from "./helpers.js"

const twoSessions = async (method: typeof ft) => {
  const model = tinyClip(5)
  const s0 = toySession(0, [0, 1], 2, 8, 11)
  const s1 = toySession(1, [2, 3], 4, 8, 12)
  const options = { ...quickOptions(), part: { encoder: "all" as const } }
  const r0 = await finetune(model, s0.session, method, options)
  const r1 = await finetune(model, s1.session, method, options)
  s0.images.dispose()
  s1.images.dispose()
  model.dispose()
  return [r0, r1]
}

for (const [name, method] of [["FT", ft], ["VR-LwF", vrlwf({ count: 20 })]] as const) {
  test(`${name}: two sessions on a tiny CLIP, losses finite and CE decreasing`, async () => {
    const before = tf.memory().numTensors
    const results = await twoSessions(method)
    for (const r of results) {
      assert.equal(r.steps, 8)
      for (const e of r.epochs) for (const v of Object.values(e)) assert.ok(Number.isFinite(v))
      const first = r.epochs[0]
      const last = r.epochs[r.epochs.length - 1]
      assert.ok(last.ce < first.ce, `CE ${first.ce} -> ${last.ce}`)
      if (name === "VR-LwF") assert.ok("vr" in last)
    }
    assert.ok("lwf" in results[1].epochs[0] === (name === "VR-LwF"))
    assert.ok(!("lwf" in results[0].epochs[0]))
    assert.equal(tf.memory().numTensors, before)
  })
}
