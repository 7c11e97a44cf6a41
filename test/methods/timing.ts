/**
 * Time per optimiser step of FT and VR-LwF on the tiny test CLIP and a
 * small "synthetic-world" sized one (not a test; run by hand):
 *   node --import tsx test/methods/timing.ts
 */
import { tf } from "../../src/backend/tf.js"
import { customConfig } from "../../src/clip/config.js"
import { createClip } from "../../src/clip/model.js"
import { finetune } from "../../src/methods/finetune.js"
import { ft } from "../../src/methods/method.js"
import { vrlwf } from "../../src/methods/vrlwf.js"
import { imagesFromTensor } from "../../src/methods/data.js"

const configs = {
  tiny: customConfig({ imageSize: 8, patchSize: 4, visionWidth: 16, visionLayers: 1, visionHeads: 2, textWidth: 16, textLayers: 1, textHeads: 2, embedDim: 8, vocabSize: 49408, contextLength: 12, activation: "quick_gelu", layerNormEps: 1e-5 }),
  small: customConfig({ imageSize: 32, patchSize: 8, visionWidth: 64, visionLayers: 2, visionHeads: 4, textWidth: 64, textLayers: 2, textHeads: 4, embedDim: 64, vocabSize: 49408, contextLength: 16, activation: "quick_gelu", layerNormEps: 1e-5 }),
}

for (const [name, config] of Object.entries(configs)) {
  const model = createClip(config, 1)
  const n = 64
  const images = tf.randomNormal([n, config.imageSize, config.imageSize, 3], 0, 1, "float32", 2) as tf.Tensor4D
  const prompt = (c: number) => [49406, 320 + c, 49407, ...new Array<number>(config.contextLength - 3).fill(0)]
  const session = { index: 1, images: imagesFromTensor(images), labels: Array.from({ length: n }, (_, i) => i % 4), classTokens: [0, 1, 2, 3].map(prompt) }
  for (const [label, method] of [["FT", ft], ["VR-LwF (100 pseudo-classes)", vrlwf()]] as const) {
    const times: number[] = []
    let t = performance.now()
    await finetune(model, session, method, { learningRate: 1e-4, epochs: 1, batchSize: 32, clipNorm: 1, decayEvery: 0, decayFactor: 0.1, seed: 1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, maxSteps: 4, part: { encoder: "all" } }, {
      onProgress: () => {
        const now = performance.now()
        times.push(now - t)
        t = now
      },
    })
    const steady = times.slice(1)
    console.log(`${name} ${label}: ${(steady.reduce((a, b) => a + b, 0) / steady.length).toFixed(0)} ms/step (batch 32, mean of steps 2-4)`)
  }
  images.dispose()
  model.dispose()
}
