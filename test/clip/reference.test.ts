// The correctness target: reproduce the PyTorch / Hugging Face reference
// outputs of two random CLIPs of different shapes from every file form.
import { test } from "node:test"
import assert from "node:assert/strict"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { tf } from "../../src/backend/tf.js"
import { loadClip, type ClipModel } from "../../src/clip/model.js"
import { l2Normalize, logitsPerImage } from "../../src/clip/similarity.js"
import { assertClose, fixtures, geluDir, nchwToNhwc, readJson, tinyDir } from "./helpers.js"

const TOL = 1e-4

const checkAgainst = (model: ClipModel, inputs: any, ref: any, what: string) => {
  const pixels = nchwToNhwc(inputs.pixel_values)
  const out = tf.tidy(() => {
    const img = model.encodeImage(pixels)
    const txt = model.encodeText(inputs.input_ids)
    return {
      img: img.arraySync(),
      txt: txt.arraySync(),
      imgN: l2Normalize(img).arraySync(),
      txtN: l2Normalize(txt).arraySync(),
      logits: logitsPerImage(img, txt, model.logitScale).arraySync()
    }
  })
  pixels.dispose()
  assertClose(out.img, ref.image_features, TOL, `${what} image_features`)
  assertClose(out.txt, ref.text_features, TOL, `${what} text_features`)
  if (ref.image_embeds_normalized !== undefined) {
    assertClose(out.imgN, ref.image_embeds_normalized, TOL, `${what} image_embeds_normalized`)
    assertClose(out.txtN, ref.text_embeds_normalized, TOL, `${what} text_embeds_normalized`)
  }
  assertClose(out.logits, ref.logits_per_image, TOL * 10, `${what} logits_per_image`)
}

test("clip-tiny: Hugging Face and OpenAI layouts reproduce the reference to 1e-4", async () => {
  const ref = readJson(join(tinyDir, "reference.json"))
  for (const file of ["model.safetensors", "model_openai_layout.safetensors"]) {
    // Head counts are not in the weights; the reference states the text heads (vision: width / 64).
    const model = await loadClip(join(tinyDir, file), { config: { textHeads: ref.config.th } })
    assert.equal(model.config.imageSize, ref.config.img)
    assert.equal(model.config.patchSize, ref.config.patch)
    assert.equal(model.config.visionWidth, ref.config.vw)
    assert.equal(model.config.visionLayers, ref.config.vl)
    assert.equal(model.config.visionHeads, ref.config.vw / 64)
    assert.equal(model.config.textWidth, ref.config.tw)
    assert.equal(model.config.textLayers, ref.config.tl)
    assert.equal(model.config.embedDim, ref.config.proj)
    assert.equal(model.config.activation, "quick_gelu")
    checkAgainst(model, ref, ref, `clip-tiny ${file}`)
    model.dispose()
  }
})

test("clip-gelu: exact GELU, non-64 head size from config.json, F32 / F16 / BF16 weights", async () => {
  const inputs = readJson(join(geluDir, "reference.json"))
  const cases: Array<[string, string]> = [
    ["model.safetensors", "reference.json"],
    ["model_f16.safetensors", "reference_f16.json"],
    ["model_bf16.safetensors", "reference_bf16.json"]
  ]
  for (const [file, refFile] of cases) {
    const model = await loadClip(join(geluDir, file))
    assert.equal(model.config.activation, "gelu")
    assert.equal(model.config.textHeads, 3)
    assert.equal(model.config.visionHeads, 2)
    assert.equal(model.config.textMlpWidth, 200)
    assert.equal(model.config.visionMlpWidth, 320)
    assert.equal(model.config.vocabSize, 1000)
    checkAgainst(model, inputs, readJson(join(geluDir, refFile)), `clip-gelu ${file}`)
    model.dispose()
  }
})

test("a wrong head count changes the outputs (the check above can fail)", async () => {
  const ref = readJson(join(tinyDir, "reference.json"))
  const model = await loadClip(join(tinyDir, "model.safetensors"), { config: { textHeads: 3 } })
  const txt = tf.tidy(() => model.encodeText(ref.input_ids).arraySync())
  assert.throws(() => assertClose(txt, ref.text_features, TOL, "text"))
  model.dispose()
})

test("every reference model under fixtures/clip-ref reproduces its outputs (any shape, any weight format)", async () => {
  const root = join(fixtures, "clip-ref")
  const dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(root, d.name, "reference.json")))
  assert.ok(dirs.length >= 1)
  for (const d of dirs) {
    const dir = join(root, d.name)
    const inputs = readJson(join(dir, "reference.json"))
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".safetensors"))) {
      // model.safetensors -> reference.json; model_f16.safetensors -> reference_f16.json when present.
      const suffix = file.replace(/^model/, "").replace(/\.safetensors$/, "")
      const refPath = join(dir, `reference${suffix}.json`)
      const ref = existsSync(refPath) ? readJson(refPath) : inputs
      const th = inputs.config?.th
      const model = await loadClip(join(dir, file), existsSync(join(dir, "config.json")) || th === undefined ? {} : { config: { textHeads: th } })
      checkAgainst(model, inputs, ref, `clip-ref/${d.name}/${file}`)
      model.dispose()
    }
  }
})
