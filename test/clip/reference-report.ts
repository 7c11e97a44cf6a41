// Prints the largest absolute differences from the reference outputs for every
// fixture model and weight file, and the preprocessing difference (not a
// test; run with `node --import tsx test/clip/reference-report.ts`).
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { tf } from "../../src/backend/tf.js"
import { loadClip } from "../../src/clip/model.js"
import { preprocessImage } from "../../src/clip/preprocess.js"
import { l2Normalize, logitsPerImage } from "../../src/clip/similarity.js"
import { fixtures, maxAbsDiff, nchwToNhwc, readJson } from "./helpers.js"

const dirs = [join(fixtures, "clip-tiny"), ...readdirSync(join(fixtures, "clip-ref"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(fixtures, "clip-ref", d.name))]
for (const dir of dirs) {
  const inputs = readJson(join(dir, "reference.json"))
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".safetensors"))) {
    const suffix = file.replace(/^model/, "").replace(/\.safetensors$/, "")
    const ref = existsSync(join(dir, `reference${suffix}.json`)) ? readJson(join(dir, `reference${suffix}.json`)) : inputs
    const th = inputs.config?.th
    const model = await loadClip(join(dir, file), existsSync(join(dir, "config.json")) || th === undefined ? {} : { config: { textHeads: th } })
    const px = nchwToNhwc(inputs.pixel_values)
    const d = tf.tidy(() => {
      const img = model.encodeImage(px)
      const txt = model.encodeText(inputs.input_ids)
      return {
        image_features: maxAbsDiff(img.arraySync(), ref.image_features),
        text_features: maxAbsDiff(txt.arraySync(), ref.text_features),
        ...(ref.image_embeds_normalized === undefined ? {} : {
          image_embeds_normalized: maxAbsDiff(l2Normalize(img).arraySync(), ref.image_embeds_normalized),
          text_embeds_normalized: maxAbsDiff(l2Normalize(txt).arraySync(), ref.text_embeds_normalized)
        }),
        logits_per_image: maxAbsDiff(logitsPerImage(img, txt, model.logitScale).arraySync(), ref.logits_per_image)
      }
    })
    console.log(`${dir.slice(fixtures.length + 1)}/${file}: ${Object.entries(d).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ")}`)
    px.dispose()
    model.dispose()
  }
}
const pre = readJson(join(fixtures, "clip-tiny", "preprocess_reference.json"))
const x = await preprocessImage(join(fixtures, "clip-tiny", "preprocess_input.png"), pre.size)
let max = 0
let sum = 0
const s: number = pre.size
for (let c = 0; c < 3; c++) for (let y = 0; y < s; y++) for (let i = 0; i < s; i++) {
  const v = Math.abs(x[(y * s + i) * 3 + c]! - pre.pixel_values[0][c][y][i])
  max = Math.max(max, v)
  sum += v
}
console.log(`preprocess (size ${s}): max |diff| ${max.toFixed(4)}, mean |diff| ${(sum / (3 * s * s)).toExponential(1)}`)
