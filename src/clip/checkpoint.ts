/**
 * From a safetensors checkpoint to a configuration and float32 tensors under
 * Hugging Face names: layout detection, OpenAI / open_clip -> Hugging Face
 * renaming (the fused `in_proj_weight` split into q / k / v, `visual.proj`
 * and `text_projection` transposed from `in x out`), configuration inference
 * from tensor shapes, and a full check of names and shapes.
 *
 * Shapes fix every size of the model; they cannot fix the head counts, the
 * activation or the norm eps. Those come from, in order: the caller's
 * overrides, the `clipcl.config` metadata this project writes, a
 * `config.json` (Hugging Face) or `open_clip_config.json` beside the file,
 * and lastly CLIP's conventions (heads = width / 64, QuickGELU, eps 1e-5).
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { ClipConfigSchema, validateConfig, type ClipConfig } from "./config.js"
import { ClipConfigError, WeightsMismatchError } from "./errors.js"
import { paramSpecs } from "./parameters.js"
import { readFloat32, type SafetensorsFile } from "../formats/safetensors.js"

/**
 * The two naming schemes in use.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckpointLayout = "huggingface" | "openai"

/**
 * A float32 tensor by value.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostTensor {
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array
}

/**
 * What a checkpoint holds once read: its layout, the configuration and the
 * tensors under Hugging Face names, and where each non-shape field of the
 * configuration came from.
 *
 * @since 0.1.0
 * @category models
 */
export interface Checkpoint {
  readonly file: string
  readonly layout: CheckpointLayout
  readonly config: ClipConfig
  readonly tensors: ReadonlyMap<string, HostTensor>
  readonly sources: Readonly<Record<"visionHeads" | "textHeads" | "activation" | "layerNormEps", string>>
}

/**
 * Hints for the fields shapes cannot give: a parsed `config.json` /
 * `open_clip_config.json` (`sideConfig`) and explicit overrides.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckpointOptions {
  readonly config?: Partial<ClipConfig>
  readonly sideConfig?: { readonly file: string; readonly json: unknown }
}

/** Metadata key under which `toSafetensors` stores the configuration. @since 0.1.0 @category utils */
export const CONFIG_METADATA_KEY = "clipcl.config"

/** Buffers (not parameters) that checkpoints carry and the model recomputes. */
const isKnownBuffer = (name: string): boolean =>
  name.endsWith("position_ids") || name.endsWith("attn_mask") ||
  name === "input_resolution" || name === "context_length" || name === "vocab_size"

/**
 * Which layout a set of tensor names is in, or a `ClipConfigError`.
 *
 * @since 0.1.0
 * @category utils
 */
export const detectLayout = (names: ReadonlyArray<string>, file: string): CheckpointLayout => {
  if (names.some((n) => n.startsWith("vision_model.") || n.startsWith("text_model."))) return "huggingface"
  if (names.some((n) => n.startsWith("visual.layer1."))) {
    throw new ClipConfigError({ source: file, field: "layout", reason: "a ResNet image tower (visual.layer1...) is not supported; only ViT models" })
  }
  if (names.some((n) => n.startsWith("visual.") || n.startsWith("transformer.resblocks."))) return "openai"
  throw new ClipConfigError({
    source: file,
    field: "layout",
    reason: `neither Hugging Face (vision_model.*, text_model.*) nor OpenAI / open_clip (visual.*, transformer.*) tensor names; first names: ${names.slice(0, 5).join(", ")}`
  })
}

const transpose2d = (t: HostTensor): HostTensor => {
  const [r, c] = t.shape as [number, number]
  const out = new Float32Array(r * c)
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j]!
  return { shape: [c, r], data: out }
}

const openaiBlockRenames: Record<string, string> = {
  "ln_1.weight": "layer_norm1.weight", "ln_1.bias": "layer_norm1.bias",
  "ln_2.weight": "layer_norm2.weight", "ln_2.bias": "layer_norm2.bias",
  "attn.out_proj.weight": "self_attn.out_proj.weight", "attn.out_proj.bias": "self_attn.out_proj.bias",
  "mlp.c_fc.weight": "mlp.fc1.weight", "mlp.c_fc.bias": "mlp.fc1.bias",
  "mlp.c_proj.weight": "mlp.fc2.weight", "mlp.c_proj.bias": "mlp.fc2.bias"
}

const openaiRenames: Record<string, string> = {
  "visual.class_embedding": "vision_model.embeddings.class_embedding",
  "visual.conv1.weight": "vision_model.embeddings.patch_embedding.weight",
  "visual.positional_embedding": "vision_model.embeddings.position_embedding.weight",
  "visual.ln_pre.weight": "vision_model.pre_layrnorm.weight", "visual.ln_pre.bias": "vision_model.pre_layrnorm.bias",
  "visual.ln_post.weight": "vision_model.post_layernorm.weight", "visual.ln_post.bias": "vision_model.post_layernorm.bias",
  "token_embedding.weight": "text_model.embeddings.token_embedding.weight",
  "positional_embedding": "text_model.embeddings.position_embedding.weight",
  "ln_final.weight": "text_model.final_layer_norm.weight", "ln_final.bias": "text_model.final_layer_norm.bias"
}

/**
 * Renames one OpenAI-layout tensor into its Hugging Face tensor(s), or
 * `undefined` when the name is not part of CLIP.
 *
 * @since 0.1.0
 * @category utils
 */
export const openaiToHf = (name: string, t: HostTensor): Array<[string, HostTensor]> | undefined => {
  const direct = openaiRenames[name]
  if (direct !== undefined) return [[direct, t]]
  if (name === "visual.proj") return t.shape.length === 2 ? [["visual_projection.weight", transpose2d(t)]] : undefined
  if (name === "text_projection") return t.shape.length === 2 ? [["text_projection.weight", transpose2d(t)]] : undefined
  if (name === "logit_scale") return [["logit_scale", t.data.length === 1 ? { shape: [], data: t.data } : t]]
  const m = /^(visual\.transformer|transformer)\.resblocks\.(\d+)\.(.+)$/.exec(name)
  if (m === null) return undefined
  const prefix = `${m[1] === "transformer" ? "text_model" : "vision_model"}.encoder.layers.${m[2]}.`
  const rest = m[3]!
  const renamed = openaiBlockRenames[rest]
  if (renamed !== undefined) return [[prefix + renamed, t]]
  if (rest === "attn.in_proj_weight" || rest === "attn.in_proj_bias") {
    // Rows [0, w), [w, 2w), [2w, 3w) are q, k, v.
    const rows = t.shape[0]!
    if (rows % 3 !== 0) return [[`${prefix}self_attn.in_proj (${rows} rows, not divisible by 3)`, t]]
    const w = rows / 3
    const per = t.data.length / 3
    const kind = rest.endsWith("weight") ? "weight" : "bias"
    return (["q_proj", "k_proj", "v_proj"] as const).map((p, i) => [
      `${prefix}self_attn.${p}.${kind}`,
      { shape: [w, ...t.shape.slice(1)], data: t.data.slice(i * per, (i + 1) * per) }
    ])
  }
  return undefined
}

const countLayers = (names: Iterable<string>, prefix: string): number => {
  let max = -1
  const re = new RegExp(`^${prefix.replace(/\./g, "\\.")}(\\d+)\\.`)
  for (const n of names) {
    const m = re.exec(n)
    if (m !== null) max = Math.max(max, Number(m[1]))
  }
  return max + 1
}

type Hints = Partial<Pick<ClipConfig, "visionHeads" | "textHeads" | "activation" | "layerNormEps">>

/** Reads the fields shapes cannot give from a Hugging Face or open_clip config file. */
const hintsFromSideConfig = (file: string, json: unknown): Hints => {
  if (typeof json !== "object" || json === null) throw new ClipConfigError({ source: file, field: "config", reason: "not a JSON object" })
  const j = json as Record<string, any>
  const out: { -readonly [K in keyof Hints]: Hints[K] } = {}
  const act = (v: unknown, field: string): "gelu" | "quick_gelu" => {
    if (v === "gelu" || v === "quick_gelu") return v
    throw new ClipConfigError({ source: file, field, reason: `activation ${JSON.stringify(v)} is not "gelu" or "quick_gelu"` })
  }
  if (typeof j.vision_config === "object" || typeof j.text_config === "object") {
    const v = j.vision_config ?? {}
    const t = j.text_config ?? {}
    if (typeof v.num_attention_heads === "number") out.visionHeads = v.num_attention_heads
    if (typeof t.num_attention_heads === "number") out.textHeads = t.num_attention_heads
    const va = v.hidden_act === undefined ? undefined : act(v.hidden_act, "vision_config.hidden_act")
    const ta = t.hidden_act === undefined ? undefined : act(t.hidden_act, "text_config.hidden_act")
    if (va !== undefined && ta !== undefined && va !== ta) {
      throw new ClipConfigError({ source: file, field: "hidden_act", reason: `vision (${va}) and text (${ta}) activations differ; one activation per model is supported` })
    }
    const a = va ?? ta
    if (a !== undefined) out.activation = a
    const eps = v.layer_norm_eps ?? t.layer_norm_eps
    if (typeof eps === "number") out.layerNormEps = eps
    return out
  }
  const cfg = j.model_cfg ?? j
  if (typeof cfg.vision_cfg === "object" || typeof cfg.text_cfg === "object") {
    const v = cfg.vision_cfg ?? {}
    const t = cfg.text_cfg ?? {}
    if (typeof v.width === "number") out.visionHeads = v.width / (typeof v.head_width === "number" ? v.head_width : 64)
    if (typeof t.heads === "number") out.textHeads = t.heads
    out.activation = cfg.quick_gelu === true ? "quick_gelu" : "gelu"
    return out
  }
  throw new ClipConfigError({ source: file, field: "config", reason: "neither a Hugging Face CLIP config (vision_config / text_config) nor an open_clip config (model_cfg)" })
}

const hintsFromMetadata = (file: string, metadata: Readonly<Record<string, string>>): Hints => {
  const raw = metadata[CONFIG_METADATA_KEY]
  if (raw === undefined) return {}
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw new ClipConfigError({ source: file, field: `__metadata__.${CONFIG_METADATA_KEY}`, reason: "not valid JSON" })
  }
  const decoded = Schema.decodeUnknownEither(ClipConfigSchema)(json)
  if (Either.isLeft(decoded)) {
    throw new ClipConfigError({ source: file, field: `__metadata__.${CONFIG_METADATA_KEY}`, reason: decoded.left.message })
  }
  const c = decoded.right
  return { visionHeads: c.visionHeads, textHeads: c.textHeads, activation: c.activation, layerNormEps: c.layerNormEps }
}

/**
 * CLIP's convention for the head count: width / 64 (every released CLIP).
 * For widths 64 does not divide (small test models), the head size is
 * guessed as 8, else the whole width is one head; pass the count explicitly
 * (or keep a config.json beside the file) when it matters.
 *
 * @since 0.1.0
 * @category utils
 */
export const conventionalHeads = (width: number): number =>
  width % 64 === 0 ? width / 64 : width % 8 === 0 ? width / 8 : 1

/**
 * Reads a parsed safetensors file as a CLIP checkpoint: converts the layout,
 * infers the configuration and checks every tensor against it. Throws a
 * `WeightsMismatchError` listing every missing, unexpected and mis-shaped
 * tensor, or a `ClipConfigError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readCheckpoint = (f: SafetensorsFile, options: CheckpointOptions = {}): Checkpoint => {
  const file = f.file
  const rawNames = [...f.entries.keys()].map((n) => (n.startsWith("module.") ? n.slice(7) : n))
  const layout = detectLayout(rawNames, file)
  const tensors = new Map<string, HostTensor>()
  const unexpected: string[] = []
  for (const [stored, entry] of f.entries) {
    const name = stored.startsWith("module.") ? stored.slice(7) : stored
    if (isKnownBuffer(name)) continue
    const t: HostTensor = { shape: entry.shape, data: readFloat32(f, entry) }
    if (layout === "huggingface") {
      tensors.set(name, name === "logit_scale" && t.data.length === 1 ? { shape: [], data: t.data } : t)
      continue
    }
    const mapped = openaiToHf(name, t)
    if (mapped === undefined) unexpected.push(stored)
    else for (const [n, v] of mapped) tensors.set(n, v)
  }
  const shapeOf = (n: string): ReadonlyArray<number> | undefined => tensors.get(n)?.shape
  const needed = [
    "vision_model.embeddings.class_embedding",
    "vision_model.embeddings.patch_embedding.weight",
    "vision_model.embeddings.position_embedding.weight",
    "visual_projection.weight",
    "text_model.embeddings.token_embedding.weight",
    "text_model.embeddings.position_embedding.weight"
  ]
  const missingForShape = needed.filter((n) => shapeOf(n) === undefined)
  if (missingForShape.length > 0) {
    throw new WeightsMismatchError({ file, missing: missingForShape, unexpected, misshaped: [] })
  }
  const patchShape = shapeOf("vision_model.embeddings.patch_embedding.weight")!
  const visionWidth = shapeOf("vision_model.embeddings.class_embedding")![0]!
  const patchSize = patchShape[2]!
  const positions = shapeOf("vision_model.embeddings.position_embedding.weight")![0]!
  const grid = Math.round(Math.sqrt(positions - 1))
  if (grid * grid !== positions - 1) {
    throw new ClipConfigError({ source: file, field: "vision_model.embeddings.position_embedding.weight", reason: `${positions} positions is not 1 + a square number of patches` })
  }
  const [vocabSize, textWidth] = shapeOf("text_model.embeddings.token_embedding.weight") as [number, number]
  const names = [...tensors.keys()]
  const visionLayers = countLayers(names, "vision_model.encoder.layers.")
  const textLayers = countLayers(names, "text_model.encoder.layers.")
  const fc1 = (tower: string) => shapeOf(`${tower}.encoder.layers.0.mlp.fc1.weight`)?.[0]

  const side = options.sideConfig === undefined ? {} : hintsFromSideConfig(options.sideConfig.file, options.sideConfig.json)
  const meta = hintsFromMetadata(file, f.metadata)
  const over = options.config ?? {}
  const sources = {} as Record<"visionHeads" | "textHeads" | "activation" | "layerNormEps", string>
  const pick = <K extends keyof Hints>(k: K, fallback: NonNullable<Hints[K]>, fallbackSource: string): NonNullable<Hints[K]> => {
    if (over[k] !== undefined) { sources[k] = "options"; return over[k] as NonNullable<Hints[K]> }
    if (meta[k] !== undefined) { sources[k] = `${file} metadata`; return meta[k] as NonNullable<Hints[K]> }
    if (side[k] !== undefined) { sources[k] = options.sideConfig!.file; return side[k] as NonNullable<Hints[K]> }
    sources[k] = fallbackSource
    return fallback
  }
  const vMlp = fc1("vision_model")
  const tMlp = fc1("text_model")
  const config = validateConfig(
    {
      imageSize: grid * patchSize,
      patchSize,
      visionWidth,
      visionLayers,
      visionHeads: pick("visionHeads", conventionalHeads(visionWidth), "convention (width / 64)"),
      textWidth,
      textLayers,
      textHeads: pick("textHeads", conventionalHeads(textWidth), "convention (width / 64)"),
      embedDim: shapeOf("visual_projection.weight")![0]!,
      vocabSize,
      contextLength: shapeOf("text_model.embeddings.position_embedding.weight")![0]!,
      activation: pick("activation", "quick_gelu", "convention (QuickGELU)"),
      layerNormEps: pick("layerNormEps", 1e-5, "convention (1e-5)"),
      ...(vMlp !== undefined && vMlp !== 4 * visionWidth ? { visionMlpWidth: vMlp } : {}),
      ...(tMlp !== undefined && tMlp !== 4 * textWidth ? { textMlpWidth: tMlp } : {})
    },
    file
  )
  checkTensors(file, config, tensors, unexpected)
  return { file, layout, config, tensors, sources }
}

/**
 * Compares tensors with the inventory of `config` and throws one
 * `WeightsMismatchError` listing every problem.
 *
 * @since 0.1.0
 * @category utils
 */
export const checkTensors = (
  file: string,
  config: ClipConfig,
  tensors: ReadonlyMap<string, { readonly shape: ReadonlyArray<number> }>,
  alreadyUnexpected: ReadonlyArray<string> = []
): void => {
  const specs = paramSpecs(config)
  const known = new Set(specs.map((s) => s.name))
  const missing = specs.filter((s) => !tensors.has(s.name)).map((s) => s.name)
  const unexpected = [...alreadyUnexpected, ...[...tensors.keys()].filter((n) => !known.has(n))]
  const misshaped = specs.flatMap((s) => {
    const t = tensors.get(s.name)
    if (t === undefined) return []
    const same = t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i])
    return same ? [] : [{ name: s.name, expected: s.shape, actual: t.shape }]
  })
  if (missing.length + unexpected.length + misshaped.length > 0) {
    throw new WeightsMismatchError({ file, missing, unexpected, misshaped })
  }
}
