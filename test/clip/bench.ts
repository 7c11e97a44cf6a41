// Timing of CLIP forward passes on the current backend (not a test; run with
// `node --import tsx test/clip/bench.ts [ViT-B/32] [images] [texts]`).
// Random weights: the cost of a forward pass does not depend on them.
import { tf } from "../../src/backend/tf.js"
import { namedConfigs } from "../../src/clip/config.js"
import { embedImages, embedTexts } from "../../src/clip/embed.js"
import { createClip } from "../../src/clip/model.js"

const name = process.argv[2] ?? "ViT-B/32"
const images = Number(process.argv[3] ?? 8)
const texts = Number(process.argv[4] ?? 32)
const config = namedConfigs[name]
if (config === undefined) throw new Error(`unknown config ${name}; one of ${Object.keys(namedConfigs).join(", ")}`)
await tf.ready()
let t = performance.now()
const model = createClip(config, 0)
console.log(`backend ${tf.getBackend()}; ${name} created in ${((performance.now() - t) / 1000).toFixed(1)} s`)
const pixels = tf.randomNormal([images, config.imageSize, config.imageSize, 3], 0, 1, "float32", 1) as tf.Tensor4D
const ids = Array.from({ length: texts }, (_, i) => [49406, 320 + i, 1125, 539, 320, 2368, 269, 49407, ...new Array(config.contextLength - 8).fill(0)])
embedImages(model, tf.slice(pixels, 0, 1), 1).dispose() // warm-up
t = performance.now()
embedImages(model, pixels, images).dispose()
const imgMs = performance.now() - t
t = performance.now()
embedTexts(model, ids, texts).dispose()
const txtMs = performance.now() - t
console.log(`${images} images: ${(imgMs / 1000).toFixed(2)} s (${(imgMs / images).toFixed(0)} ms/image); ${texts} texts: ${(txtMs / 1000).toFixed(2)} s (${(txtMs / texts).toFixed(0)} ms/text)`)
model.dispose()
