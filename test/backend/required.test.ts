// TRAINING_KERNELS decides whether wasm may stand in for the native pack:
// it must list every kernel the quickstart's computations dispatch. A tiny
// pretraining, one session of each quickstart method and a zero-shot
// evaluation run on the plain cpu backend under tf.profile; every kernel
// they dispatch must be listed.
import { test } from "node:test"
import assert from "node:assert/strict"
import { missingKernels, TRAINING_KERNELS } from "../../src/backend/required.js"
import { tf } from "../../src/backend/tf.js"
import { classify, zeroShotClassifier } from "../../src/clip/zeroShot.js"
import { finetune } from "../../src/methods/finetune.js"
import { lwf } from "../../src/methods/lwf.js"
import { ft } from "../../src/methods/method.js"
import { pretrain } from "../../src/methods/pretrain.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { zscl } from "../../src/methods/zscl.js"
import type { ClipModel } from "../../src/clip/model.js"
import { classPrompt, quickOptions, tinyClip, toySession } from "../methods/helpers.js"

test("TRAINING_KERNELS lists every kernel of pretraining, the quickstart's methods and zero-shot evaluation", async () => {
  const previous = tf.getBackend()
  await tf.setBackend("cpu")
  const old = toySession(0, [0, 1], 2, 4, 21)
  const cur = toySession(1, [2, 3], 4, 4, 22)
  const options = { ...quickOptions({ epochs: 1, batchSize: 4 }), part: { encoder: "all" as const } }
  const model = tinyClip(9)
  const info = await tf.profile(async () => {
    await pretrain(model, { images: old.session.images, texts: [0, 1, 2, 3, 4, 5, 6, 7].map(classPrompt) }, quickOptions({ epochs: 1, batchSize: 4 }))
    const methods = [
      ft,
      lwf(),
      vrlwf({ count: 5, vocabulary: { kind: "pool", ids: Array.from({ length: 9 }, (_, c) => classPrompt(c + 10)) } }),
      zscl({ reference: { images: old.session.images, texts: [classPrompt(7), classPrompt(8)] }, imagesPerStep: 3, averageEvery: 1 }),
    ]
    for (const m of methods) await finetune(model, cur.session, m, options)
    const prompts = new Map([["a {}", classPrompt(1)], ["b {}", classPrompt(2)]].map(([k, v]) => [k as string, v as number[]]))
    const classifier = zeroShotClassifier(model as unknown as ClipModel, ["x"], ["a {}", "b {}"], {
      tokenize: (texts) => texts.map((t) => prompts.get(t.replace("x", "{}"))!),
    })
    classify(model as unknown as ClipModel, classifier, cur.images).logits.dispose()
    classifier.dispose()
  })
  model.dispose()
  old.images.dispose()
  cur.images.dispose()
  if (previous !== undefined) await tf.setBackend(previous)
  // kernelNames also holds tidy scope names; keep the registered kernels.
  const dispatched = [...new Set(info.kernelNames)].filter((k) => tf.getKernel(k, "cpu") !== undefined).sort()
  assert.ok(dispatched.includes("BatchMatMul") && dispatched.includes("ScatterNd"), dispatched.join(","))
  const unlisted = dispatched.filter((k) => !TRAINING_KERNELS.includes(k))
  assert.deepEqual(unlisted, [], `dispatched but not in TRAINING_KERNELS: ${unlisted.join(", ")}`)
})

test("missingKernels names what a backend lacks", () => {
  assert.deepEqual(missingKernels("cpu"), [])
  assert.deepEqual(missingKernels("no-such-backend"), TRAINING_KERNELS)
})
