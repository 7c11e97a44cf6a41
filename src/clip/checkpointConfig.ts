/**
 * The configuration of a checkpoint, inferred from its tensors' shapes
 * (under Hugging Face names) and, for what shapes cannot fix (the head
 * counts, the activation, the norm eps), from, in order: the caller's
 * overrides, the `clipcl.config` metadata this project writes, a
 * `config.json` (Hugging Face) or `open_clip_config.json` beside the file,
 * and lastly CLIP's conventions (heads = width / 64, QuickGELU, eps 1e-5).
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { ClipConfigSchema, validateConfig, type ClipConfig } from "./config.js"
import { ClipConfigError, WeightsMismatchError } from "./errors.js"

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

/**
 * Where each field shapes cannot fix came from.
 *
 * @since 0.1.0
 * @category models
 */
export type ConfigSources = Readonly<Record<"visionHeads" | "textHeads" | "activation" | "layerNormEps", string>>

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
 * The configuration of the tensors (Hugging Face names, float32 shapes) of
 * `file`, with where each non-shape field came from. Throws a
 * `WeightsMismatchError` when a tensor that fixes a size is missing
 * (`unexpected`: stored names already known not to be CLIP's), or a
 * `ClipConfigError`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const inferConfig = (
  file: string,
  tensors: ReadonlyMap<string, { readonly shape: ReadonlyArray<number> }>,
  metadata: Readonly<Record<string, string>>,
  options: CheckpointOptions = {},
  unexpected: ReadonlyArray<string> = []
): { readonly config: ClipConfig; readonly sources: ConfigSources } => {
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
    throw new WeightsMismatchError({ file, missing: missingForShape, unexpected: [...unexpected], misshaped: [] })
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
  const meta = hintsFromMetadata(file, metadata)
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
  return { config, sources }
}
