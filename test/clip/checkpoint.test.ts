// Checkpoints: saving in the Hugging Face layout, reading the OpenAI /
// open_clip layout of any shape, configuration sources, and bad weights
// listed in full.
import { test } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { tf } from "../../src/backend/tf.js"
import { conventionalHeads, detectLayout, readCheckpoint } from "../../src/clip/checkpoint.js"
import { customConfig, type ClipConfig } from "../../src/clip/config.js"
import { ClipConfigError, SafetensorsError, WeightsMismatchError } from "../../src/clip/errors.js"
import { Effect, Exit } from "effect"
import { clipFromSafetensors, createClip, inspectClip, loadClip, loadClipEffect, type ClipModel } from "../../src/clip/model.js"
import { parseSafetensors, readFloat32, serializeSafetensors, type TensorToWrite } from "../../src/formats/safetensors.js"
import { assertClose } from "./helpers.js"

// Text head size 16 (not 64) and exact GELU: fields a loader can only get from metadata or a config file.
const config: ClipConfig = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 64, visionHeads: 1, visionLayers: 2, textWidth: 32, textHeads: 2, textLayers: 2, embedDim: 8, vocabSize: 30, contextLength: 6, activation: "gelu", textMlpWidth: 48 })
const pixels = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 4) as tf.Tensor4D
const ids = [[1, 5, 29, 0, 0, 0], [1, 2, 3, 4, 29, 0]]
const outputs = (m: ClipModel) => tf.tidy(() => ({ img: m.encodeImage(pixels).arraySync(), txt: m.encodeText(ids).arraySync() }))
const tmp = () => mkdtempSync(join(tmpdir(), "clipcl-clip-"))

/** The tensors of a model under Hugging Face names. */
const hfTensors = (m: ClipModel): Map<string, TensorToWrite> =>
  new Map([...m.params].map(([name, v]) => [name, { name, shape: v.shape, data: v.dataSync() as Float32Array }]))

const transpose = (t: TensorToWrite): TensorToWrite => {
  const [r, c] = t.shape as [number, number]
  const data = new Float32Array(r * c)
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) data[j * r + i] = t.data[i * c + j]!
  return { name: t.name, shape: [c, r], data }
}

/** An independent HF -> OpenAI renaming (the inverse of the loader's), for round trips. */
const toOpenai = (m: ClipModel): TensorToWrite[] => {
  const hf = hfTensors(m)
  const out: TensorToWrite[] = []
  const put = (name: string, t: TensorToWrite) => out.push({ ...t, name })
  const blocks = (from: string, to: string, layers: number) => {
    for (let i = 0; i < layers; i++) {
      const p = `${from}.encoder.layers.${i}.`
      const q = `${to}.resblocks.${i}.`
      const cat = (kind: string) => {
        const parts = ["q_proj", "k_proj", "v_proj"].map((x) => hf.get(`${p}self_attn.${x}.${kind}`)!)
        const data = new Float32Array(parts.reduce((a, x) => a + x.data.length, 0))
        let at = 0
        for (const x of parts) { data.set(x.data, at); at += x.data.length }
        return { name: "", shape: [parts[0]!.shape[0]! * 3, ...parts[0]!.shape.slice(1)], data }
      }
      put(`${q}attn.in_proj_weight`, cat("weight"))
      put(`${q}attn.in_proj_bias`, cat("bias"))
      for (const [a, b] of [["self_attn.out_proj", "attn.out_proj"], ["layer_norm1", "ln_1"], ["layer_norm2", "ln_2"], ["mlp.fc1", "mlp.c_fc"], ["mlp.fc2", "mlp.c_proj"]]) {
        put(`${q}${b}.weight`, hf.get(`${p}${a}.weight`)!)
        put(`${q}${b}.bias`, hf.get(`${p}${a}.bias`)!)
      }
    }
  }
  put("visual.class_embedding", hf.get("vision_model.embeddings.class_embedding")!)
  put("visual.conv1.weight", hf.get("vision_model.embeddings.patch_embedding.weight")!)
  put("visual.positional_embedding", hf.get("vision_model.embeddings.position_embedding.weight")!)
  for (const [a, b] of [["pre_layrnorm", "ln_pre"], ["post_layernorm", "ln_post"]]) {
    put(`visual.${b}.weight`, hf.get(`vision_model.${a}.weight`)!)
    put(`visual.${b}.bias`, hf.get(`vision_model.${a}.bias`)!)
  }
  blocks("vision_model", "visual.transformer", m.config.visionLayers)
  put("visual.proj", transpose(hf.get("visual_projection.weight")!))
  put("token_embedding.weight", hf.get("text_model.embeddings.token_embedding.weight")!)
  put("positional_embedding", hf.get("text_model.embeddings.position_embedding.weight")!)
  blocks("text_model", "transformer", m.config.textLayers)
  put("ln_final.weight", hf.get("text_model.final_layer_norm.weight")!)
  put("ln_final.bias", hf.get("text_model.final_layer_norm.bias")!)
  put("text_projection", transpose(hf.get("text_projection.weight")!))
  put("logit_scale", { name: "", shape: [1], data: hf.get("logit_scale")!.data })
  return out
}

test("save writes Hugging Face-layout F32 safetensors with the config; loadClip reads it back exactly", async () => {
  const dir = tmp()
  try {
    const model = createClip(config, 9)
    const path = join(dir, "sub", "model.safetensors")
    await model.save(path)
    const bytes = model.toSafetensors()
    const f = parseSafetensors(bytes)
    assert.equal(f.metadata.format, "pt")
    assert.ok([...f.entries.values()].every((e) => e.dtype === "F32"))
    assert.ok(f.entries.has("vision_model.encoder.layers.1.self_attn.q_proj.weight"))
    assert.ok(f.entries.has("text_projection.weight"))
    assert.deepEqual(f.entries.get("logit_scale")!.shape, [])
    const back = await loadClip(path)
    assert.deepEqual(back.config, config) // heads, GELU and the MLP width come from the metadata
    assert.deepEqual(outputs(back), outputs(model))
    const fromBytes = clipFromSafetensors(bytes)
    assert.deepEqual(fromBytes.config, config)
    for (const m of [model, back, fromBytes]) m.dispose()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("OpenAI / open_clip layout of a custom shape, with buffers and a module. prefix, gives the same model", () => {
  const model = createClip(config, 10)
  const tensors = toOpenai(model).map((t) => ({ ...t, name: `module.${t.name}` }))
  tensors.push({ name: "module.attn_mask", shape: [6, 6], data: new Float32Array(36) })
  const bytes = serializeSafetensors(tensors)
  assert.equal(detectLayout([...parseSafetensors(bytes).entries.keys()].map((n) => n.slice(7)), "x"), "openai")
  const loaded = clipFromSafetensors(bytes, { config: { textHeads: 2, visionHeads: 1, activation: "gelu" } })
  assert.deepEqual(loaded.config, config)
  const a = outputs(model)
  const b = outputs(loaded)
  assertClose(b.img, a.img, 1e-6, "image")
  assertClose(b.txt, a.txt, 1e-6, "text")
  for (const m of [model, loaded]) m.dispose()
})

/** A file of raw tensors of any dtype (the project's writer only writes F32). */
const rawFile = (tensors: ReadonlyArray<{ name: string; dtype: string; shape: ReadonlyArray<number>; bytes: Uint8Array }>): Uint8Array => {
  const header: Record<string, unknown> = {}
  let at = 0
  for (const t of tensors) { header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] }; at += t.bytes.length }
  const json = new TextEncoder().encode(JSON.stringify(header))
  const out = new Uint8Array(8 + json.length + at)
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true)
  out.set(json, 8)
  let p = 8 + json.length
  for (const t of tensors) { out.set(t.bytes, p); p += t.bytes.length }
  return out
}

test("Hugging Face position_ids buffers (I64) are ignored", () => {
  const model = createClip(config, 11)
  const tensors = [...hfTensors(model).values()].map((t) => ({ name: t.name, dtype: "F32", shape: t.shape, bytes: new Uint8Array(t.data.buffer.slice(0)) }))
  tensors.push({ name: "text_model.embeddings.position_ids", dtype: "I64", shape: [1, 6], bytes: new Uint8Array(new BigInt64Array([0n, 1n, 2n, 3n, 4n, 5n]).buffer) })
  tensors.push({ name: "vision_model.embeddings.position_ids", dtype: "I64", shape: [1, 5], bytes: new Uint8Array(new BigInt64Array([0n, 1n, 2n, 3n, 4n]).buffer) })
  const loaded = clipFromSafetensors(rawFile(tensors), { config: { activation: "gelu", textHeads: 2, visionHeads: 1 } })
  assert.deepEqual(outputs(loaded), outputs(model))
  for (const m of [model, loaded]) m.dispose()
})

test("missing, unexpected and mis-shaped tensors are all listed at once", () => {
  const model = createClip(config, 12)
  const tensors = [...hfTensors(model).values()]
    .filter((t) => t.name !== "text_model.final_layer_norm.bias" && t.name !== "vision_model.encoder.layers.1.mlp.fc2.bias")
    .map((t) => (t.name === "vision_model.encoder.layers.0.mlp.fc1.bias" ? { ...t, shape: [t.data.length / 2, 2] } : t))
  tensors.push({ name: "text_model.extra.weight", shape: [2], data: new Float32Array(2) })
  const bytes = serializeSafetensors(tensors)
  assert.throws(() => clipFromSafetensors(bytes, { file: "broken.safetensors", config: { textHeads: 2, visionHeads: 1 } }), (e: unknown) => {
    assert.ok(e instanceof WeightsMismatchError)
    assert.equal(e.file, "broken.safetensors")
    assert.deepEqual([...e.missing].sort(), ["text_model.final_layer_norm.bias", "vision_model.encoder.layers.1.mlp.fc2.bias"])
    assert.deepEqual(e.unexpected, ["text_model.extra.weight"])
    assert.deepEqual(e.misshaped.map((m) => m.name), ["vision_model.encoder.layers.0.mlp.fc1.bias"])
    assert.match(e.message, /broken\.safetensors.*missing 2.*unexpected 1.*mis-shaped 1/)
    return true
  })
  // Unknown OpenAI-layout names are reported too.
  const openai = toOpenai(model)
  openai.push({ name: "visual.mystery", shape: [1], data: new Float32Array(1) })
  assert.throws(() => clipFromSafetensors(serializeSafetensors(openai), { config: { textHeads: 2, visionHeads: 1 } }),
    (e: unknown) => e instanceof WeightsMismatchError && e.unexpected.includes("visual.mystery"))
  model.dispose()
})

test("layouts that are not CLIP ViTs get a ClipConfigError", () => {
  assert.throws(() => clipFromSafetensors(serializeSafetensors([{ name: "encoder.weight", shape: [1], data: new Float32Array(1) }])),
    (e: unknown) => e instanceof ClipConfigError && e.field === "layout")
  assert.throws(() => clipFromSafetensors(serializeSafetensors([{ name: "visual.layer1.0.conv1.weight", shape: [1], data: new Float32Array(1) }])),
    (e: unknown) => e instanceof ClipConfigError && /ResNet/.test(e.message))
})

test("heads, activation and eps: options > metadata > config.json / open_clip_config.json > convention", async () => {
  assert.equal(conventionalHeads(768), 12)
  assert.equal(conventionalHeads(512), 8)
  assert.equal(conventionalHeads(48), 6)
  const model = createClip(config, 13)
  const plain = serializeSafetensors([...hfTensors(model).values()]) // no metadata
  const dir = tmp()
  try {
    const path = join(dir, "model.safetensors")
    writeFileSync(path, plain)
    const guessed = await inspectClip(path)
    assert.equal(guessed.config.visionHeads, 1) // 64 / 64
    assert.equal(guessed.config.textHeads, 4) // 32 / 8: a guess, and wrong here
    assert.equal(guessed.config.activation, "quick_gelu")
    assert.match(guessed.sources.textHeads, /convention/)
    writeFileSync(join(dir, "config.json"), JSON.stringify({
      vision_config: { num_attention_heads: 1, hidden_act: "gelu", layer_norm_eps: 1e-5 },
      text_config: { num_attention_heads: 2, hidden_act: "gelu", layer_norm_eps: 1e-5 }
    }))
    const viaHf = await loadClip(path)
    assert.deepEqual(viaHf.config, config)
    assert.deepEqual(outputs(viaHf), outputs(model))
    const overridden = await inspectClip(path, { config: { textHeads: 8 } })
    assert.equal(overridden.config.textHeads, 8)
    assert.equal(overridden.sources.textHeads, "options")
    rmSync(join(dir, "config.json"))
    writeFileSync(join(dir, "open_clip_config.json"), JSON.stringify({ model_cfg: { vision_cfg: { width: 64, head_width: 64 }, text_cfg: { heads: 2 }, quick_gelu: false } }))
    const viaOpenClip = await inspectClip(path)
    assert.equal(viaOpenClip.config.textHeads, 2)
    assert.equal(viaOpenClip.config.activation, "gelu")
    writeFileSync(join(dir, "open_clip_config.json"), "{ not json")
    await assert.rejects(inspectClip(path), (e: unknown) => e instanceof ClipConfigError && /open_clip_config\.json/.test(e.source))
    await assert.rejects(loadClip(join(dir, "absent.safetensors")), (e: unknown) => e instanceof SafetensorsError && /cannot read/.test(e.message))
    const exit = await Effect.runPromiseExit(loadClipEffect(join(dir, "absent.safetensors")))
    assert.ok(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag === "SafetensorsError")
    viaHf.dispose()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // readCheckpoint names the layout and the source of each guessed field.
  const f = parseSafetensors(model.toSafetensors(), "m.safetensors")
  const ck = readCheckpoint(f)
  assert.equal(ck.layout, "huggingface")
  assert.equal(ck.sources.textHeads, "m.safetensors metadata")
  assert.deepEqual([...ck.tensors.get("logit_scale")!.data], [...readFloat32(f, f.entries.get("logit_scale")!)])
  model.dispose()
})
