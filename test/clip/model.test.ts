// Model layers and the ClipModel contract on small random models.
import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
// tfjs-core's Node build registers no gradients; the project's gradient pack does (see docs/clip.md).
import { gelu, quickGelu } from "../../src/clip/activation.js"
import { causalMask } from "../../src/clip/attention.js"
import { customConfig, validateConfig, ViT_B_16, ViT_B_32, ViT_L_14, ViT_L_14_336 } from "../../src/clip/config.js"
import { ClipConfigError, ClipInputError, WeightsMismatchError } from "../../src/clip/errors.js"
import { layerNorm } from "../../src/clip/layerNorm.js"
import { createClip } from "../../src/clip/model.js"
import { paramSpecs } from "../../src/clip/parameters.js"
import { embeddingLookup } from "../../src/clip/textTransformer.js"
import { patchify } from "../../src/clip/visionTransformer.js"

const tiny = customConfig({ imageSize: 16, patchSize: 8, visionWidth: 32, visionHeads: 2, visionLayers: 2, textWidth: 32, textHeads: 4, textLayers: 3, embedDim: 16, vocabSize: 50, contextLength: 12 })

test("named configurations carry the published hyper-parameters", () => {
  assert.deepEqual(
    [ViT_B_32.imageSize, ViT_B_32.patchSize, ViT_B_32.visionWidth, ViT_B_32.visionLayers, ViT_B_32.visionHeads, ViT_B_32.textWidth, ViT_B_32.textLayers, ViT_B_32.textHeads, ViT_B_32.embedDim],
    [224, 32, 768, 12, 12, 512, 12, 8, 512]
  )
  assert.equal(ViT_B_16.patchSize, 16)
  assert.deepEqual([ViT_L_14.visionWidth, ViT_L_14.visionLayers, ViT_L_14.visionHeads, ViT_L_14.textWidth, ViT_L_14.textHeads, ViT_L_14.embedDim], [1024, 24, 16, 768, 12, 768])
  assert.equal(ViT_L_14_336.imageSize, 336)
  for (const c of [ViT_B_32, ViT_B_16, ViT_L_14, ViT_L_14_336]) {
    assert.equal(c.vocabSize, 49408)
    assert.equal(c.contextLength, 77)
    assert.equal(c.activation, "quick_gelu")
    assert.equal(c.layerNormEps, 1e-5)
  }
  // ViT-B/32 has 151,277,313 parameters in OpenAI's release.
  const count = paramSpecs(ViT_B_32).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)
  assert.equal(count, 151277313)
})

test("invalid configurations name the field", () => {
  assert.throws(() => validateConfig({ ...tiny, textHeads: 5 }, "t"), (e: unknown) => e instanceof ClipConfigError && e.field === "textHeads")
  assert.throws(() => validateConfig({ ...tiny, imageSize: 20 }, "t"), (e: unknown) => e instanceof ClipConfigError && e.field === "imageSize")
  assert.throws(() => customConfig({ visionLayers: 0 }), ClipConfigError)
})

test("activations: QuickGELU and exact GELU values", () => {
  const x = tf.tensor1d([-3, -1, 0, 0.5, 2])
  const q = quickGelu(x).arraySync() as number[]
  const g = gelu(x).arraySync() as number[]
  const xs = [-3, -1, 0, 0.5, 2]
  xs.forEach((v, i) => assert.ok(Math.abs(q[i]! - v / (1 + Math.exp(-1.702 * v))) < 1e-6))
  // Phi(x) from tables: GELU(-1) = -0.158655, GELU(0.5) = 0.345731, GELU(2) = 1.954500, GELU(-3) = -0.004050
  const expected = [-0.0040497, -0.1586553, 0, 0.3457312, 1.9544997]
  expected.forEach((e, i) => assert.ok(Math.abs(g[i]! - e) < 2e-6, `gelu(${xs[i]}) = ${g[i]}, expected ${e}`))
})

test("layerNorm normalises the last axis with eps inside the root", () => {
  const x = tf.tensor2d([[1, 2, 3, 4], [10, 10, 10, 10]])
  const y = layerNorm(x, tf.tensor1d([1, 1, 2, 2]), tf.tensor1d([0, 0, 0, 1]), 1e-5).arraySync()
  const sd = Math.sqrt(1.25 + 1e-5)
  const row0 = [-1.5 / sd, -0.5 / sd, 2 * 0.5 / sd, 2 * 1.5 / sd + 1]
  row0.forEach((v, i) => assert.ok(Math.abs(y[0]![i]! - v) < 1e-5))
  assert.deepEqual(y[1], [0, 0, 0, 1])
})

test("patchify + matMul equals conv2d with stride = kernel = patch (no bias)", () => {
  const px = tf.randomNormal([2, 16, 16, 3], 0, 1, "float32", 1) as tf.Tensor4D
  const kernel = tf.randomNormal([5, 3, 8, 8], 0, 1, "float32", 2) // [out, C, kh, kw], PyTorch order
  const viaMatMul = tf.reshape(tf.matMul(patchify(px, 8), tf.reshape(kernel, [5, 3 * 64]), false, true), [2, 2, 2, 5])
  const viaConv = tf.conv2d(px, tf.transpose(kernel, [2, 3, 1, 0]) as tf.Tensor4D, 8, "valid")
  const diff = tf.max(tf.abs(tf.sub(viaMatMul, viaConv))).dataSync()[0]!
  assert.ok(diff < 1e-4, `max diff ${diff}`)
})

test("causal mask: a token never sees later tokens", () => {
  const m = causalMask(3).arraySync()
  assert.equal(m[0]![0], 0)
  assert.equal(m[1]![0], 0)
  assert.ok(m[0]![1]! < -1e8 && m[0]![2]! < -1e8 && m[1]![2]! < -1e8)
  const model = createClip(tiny, 3)
  // Features are read at the argmax id (the end token, 49 here); ids after it cannot change them.
  const a = model.encodeText([[1, 5, 7, 49, 0, 0, 0, 0, 0, 0, 0, 0]]).arraySync()
  const b = model.encodeText([[1, 5, 7, 49, 3, 9, 11, 2, 0, 0, 0, 0]]).arraySync()
  const c = model.encodeText([[1, 6, 7, 49, 0, 0, 0, 0, 0, 0, 0, 0]]).arraySync()
  assert.ok(a[0]!.every((v, i) => Math.abs(v - b[0]![i]!) < 1e-5))
  assert.ok(a[0]!.some((v, i) => Math.abs(v - c[0]![i]!) > 1e-4))
  model.dispose()
})

test("createClip is deterministic in the seed and follows the init scheme", () => {
  const a = createClip(tiny, 7)
  const b = createClip(tiny, 7)
  const c = createClip(tiny, 8)
  const name = "text_model.encoder.layers.0.self_attn.q_proj.weight"
  assert.deepEqual(a.params.get(name)!.arraySync(), b.params.get(name)!.arraySync())
  assert.notDeepEqual(a.params.get(name)!.arraySync(), c.params.get(name)!.arraySync())
  assert.ok(Math.abs(a.logitScale - 1 / 0.07) < 1e-3)
  assert.deepEqual(a.params.get("vision_model.pre_layrnorm.weight")!.arraySync(), new Array(32).fill(1))
  const std = Math.sqrt(tf.moments(a.params.get("text_model.embeddings.token_embedding.weight")!).variance.dataSync()[0]!)
  assert.ok(Math.abs(std - 0.02) < 0.003, `token embedding std ${std}`)
  assert.equal(a.params.size, paramSpecs(tiny).length)
  for (const m of [a, b, c]) m.dispose()
})

test("encoders: shapes, and clear errors for bad inputs", () => {
  const model = createClip(tiny, 1)
  const px = tf.zeros([3, 16, 16, 3]) as tf.Tensor4D
  assert.deepEqual(model.encodeImage(px).shape, [3, 16])
  assert.deepEqual(model.encodeText([[1, 2, 49], [1, 49, 0]]).shape, [2, 16])
  assert.deepEqual(model.encodeText(tf.tensor2d([[1, 2, 49]], [1, 3], "int32")).shape, [1, 16])
  const isInput = (tensor: string) => (e: unknown) => e instanceof ClipInputError && e.tensor === tensor
  assert.throws(() => model.encodeImage(tf.zeros([1, 16, 16, 1]) as tf.Tensor4D), isInput("pixels"))
  assert.throws(() => model.encodeImage(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D), isInput("pixels"))
  assert.throws(() => model.encodeText([[1, 50, 2]]), isInput("ids"))
  assert.throws(() => model.encodeText([new Array(13).fill(1)]), isInput("ids"))
  assert.throws(() => model.encodeText([[1, 2], [1]]), isInput("ids"))
  model.dispose()
})

test("getWeights / setWeights / clone are independent copies, and setWeights checks names and shapes", () => {
  const a = createClip(tiny, 1)
  const b = createClip(tiny, 2)
  const teacher = a.clone()
  const ids = [[1, 4, 9, 49]]
  const before = teacher.encodeText(ids).arraySync()
  a.setWeights(b.getWeights())
  assert.deepEqual(a.encodeText(ids).arraySync(), b.encodeText(ids).arraySync())
  assert.deepEqual(teacher.encodeText(ids).arraySync(), before) // the clone did not move
  const bad = new Map<string, tf.Tensor>([
    ["no.such.weight", tf.zeros([1])],
    ["visual_projection.weight", tf.zeros([3, 3])]
  ])
  assert.throws(() => a.setWeights(bad), (e: unknown) =>
    e instanceof WeightsMismatchError && e.unexpected.includes("no.such.weight") &&
    e.misshaped.some((m) => m.name === "visual_projection.weight") && /no\.such\.weight/.test(e.message))
  for (const m of [a, b, teacher]) m.dispose()
})

test("trainableVariables selects the paper's parts", () => {
  const m = createClip(tiny, 1)
  const specs = paramSpecs(tiny)
  const names = (vs: tf.Variable[]) => new Set(vs.map((v) => [...m.params].find(([, x]) => x === v)![0]))
  assert.equal(m.trainableVariables({ encoder: "all" }).length, specs.length)
  const image = names(m.trainableVariables({ encoder: "image" }))
  assert.ok([...image].every((n) => n.startsWith("vision_model.") || n === "visual_projection.weight"))
  assert.equal(image.size, specs.filter((s) => s.tower === "image").length)
  const text = names(m.trainableVariables({ encoder: "text" }))
  assert.ok([...text].every((n) => n.startsWith("text_model.") || n === "text_projection.weight"))
  const top1 = names(m.trainableVariables({ encoder: "text", topBlocks: 1 }))
  assert.ok(top1.has("text_model.encoder.layers.2.mlp.fc1.weight"))
  assert.ok(!top1.has("text_model.encoder.layers.1.mlp.fc1.weight"))
  assert.ok(top1.has("text_projection.weight") && top1.has("text_model.final_layer_norm.weight"))
  assert.ok(!top1.has("text_model.embeddings.token_embedding.weight"))
  assert.equal(top1.size, 16 + 3)
  const top0 = names(m.trainableVariables({ encoder: "all", topBlocks: 0 }))
  assert.equal(top0.size, 6)
  assert.throws(() => m.trainableVariables({ encoder: "image", topBlocks: 3 }), ClipConfigError)
  m.dispose()
})

test("embeddingLookup: gather forward, scatter-add gradient (repeated ids sum)", () => {
  const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]])
  const ids = tf.tensor1d([2, 0, 2], "int32")
  assert.deepEqual(embeddingLookup(table, ids).arraySync(), [[5, 6], [1, 2], [5, 6]])
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids), tf.tensor2d([[1, 10], [100, 1000], [2, 20]]))))(table)
  assert.deepEqual(g.arraySync(), [[100, 1000], [0, 0], [3, 30]])
})
