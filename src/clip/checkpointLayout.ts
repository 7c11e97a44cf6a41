/**
 * Checkpoint layouts: which naming scheme a checkpoint uses, and the
 * renaming of OpenAI / open_clip tensors into Hugging Face names (the fused
 * `in_proj_weight` split into q / k / v, `visual.proj` and
 * `text_projection` transposed from `in x out`).
 *
 * @since 0.1.0
 */
import { ClipConfigError } from "./errors.js"
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

/**
 * Every tensor of a parsed safetensors file as float32 under Hugging Face
 * names (a `module.` prefix dropped, buffers the model recomputes left
 * out), with the stored names that are not part of CLIP.
 *
 * @since 0.1.0
 * @category utils
 */
export const hfTensors = (
  f: SafetensorsFile
): { readonly layout: CheckpointLayout; readonly tensors: Map<string, HostTensor>; readonly unexpected: Array<string> } => {
  const rawNames = [...f.entries.keys()].map((n) => (n.startsWith("module.") ? n.slice(7) : n))
  const layout = detectLayout(rawNames, f.file)
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
  return { layout, tensors, unexpected }
}
