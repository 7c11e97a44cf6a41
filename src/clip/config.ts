/**
 * Hyper-parameters of a CLIP model (a ViT image tower and a causal text
 * transformer) and the published configurations of OpenAI's ViT models.
 *
 * The MLP widths are optional because CLIP always uses 4 x width; Hugging
 * Face models may use other sizes (`intermediate_size`), so a loaded model
 * records what its weights say.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { ClipConfigError } from "./errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ClipConfig {
  readonly imageSize: number
  readonly patchSize: number
  readonly visionWidth: number
  readonly visionLayers: number
  readonly visionHeads: number
  readonly textWidth: number
  readonly textLayers: number
  readonly textHeads: number
  readonly embedDim: number
  readonly vocabSize: number
  readonly contextLength: number
  readonly activation: "quick_gelu" | "gelu"
  readonly layerNormEps: number
  /** Hidden size of the vision MLP; 4 x visionWidth when absent. */
  readonly visionMlpWidth?: number
  /** Hidden size of the text MLP; 4 x textWidth when absent. */
  readonly textMlpWidth?: number
}

/**
 * The schema of a `ClipConfig`, used to decode the config stored in a
 * checkpoint's metadata.
 *
 * @since 0.1.0
 * @category models
 */
export const ClipConfigSchema = Schema.Struct({
  imageSize: Schema.Int,
  patchSize: Schema.Int,
  visionWidth: Schema.Int,
  visionLayers: Schema.Int,
  visionHeads: Schema.Int,
  textWidth: Schema.Int,
  textLayers: Schema.Int,
  textHeads: Schema.Int,
  embedDim: Schema.Int,
  vocabSize: Schema.Int,
  contextLength: Schema.Int,
  activation: Schema.Literal("quick_gelu", "gelu"),
  layerNormEps: Schema.Number,
  visionMlpWidth: Schema.optional(Schema.Int),
  textMlpWidth: Schema.optional(Schema.Int)
})

const base = {
  vocabSize: 49408,
  contextLength: 77,
  activation: "quick_gelu",
  layerNormEps: 1e-5
} as const

/**
 * OpenAI ViT-B/32 (Radford et al. 2021, table 20).
 *
 * @since 0.1.0
 * @category constructors
 */
export const ViT_B_32: ClipConfig = {
  ...base,
  imageSize: 224, patchSize: 32, visionWidth: 768, visionLayers: 12, visionHeads: 12,
  textWidth: 512, textLayers: 12, textHeads: 8, embedDim: 512
}

/**
 * OpenAI ViT-B/16.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ViT_B_16: ClipConfig = { ...ViT_B_32, patchSize: 16 }

/**
 * OpenAI ViT-L/14.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ViT_L_14: ClipConfig = {
  ...base,
  imageSize: 224, patchSize: 14, visionWidth: 1024, visionLayers: 24, visionHeads: 16,
  textWidth: 768, textLayers: 12, textHeads: 12, embedDim: 768
}

/**
 * OpenAI ViT-L/14@336px.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ViT_L_14_336: ClipConfig = { ...ViT_L_14, imageSize: 336 }

/**
 * The named configurations, by the names OpenAI's `clip.load` uses.
 *
 * @since 0.1.0
 * @category constructors
 */
export const namedConfigs: Readonly<Record<string, ClipConfig>> = {
  "ViT-B/32": ViT_B_32,
  "ViT-B/16": ViT_B_16,
  "ViT-L/14": ViT_L_14,
  "ViT-L/14@336px": ViT_L_14_336
}

/**
 * A custom configuration: the named fields over small defaults (a CLIP that
 * trains on a CPU), with head counts of width / 64 unless given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const customConfig = (fields: Partial<ClipConfig>): ClipConfig => {
  const visionWidth = fields.visionWidth ?? 64
  const textWidth = fields.textWidth ?? 64
  return validateConfig(
    {
      ...base,
      imageSize: 32, patchSize: 8, visionLayers: 2, textLayers: 2, embedDim: 32,
      visionHeads: Math.max(1, Math.floor(visionWidth / 64)),
      textHeads: Math.max(1, Math.floor(textWidth / 64)),
      ...fields,
      visionWidth,
      textWidth
    },
    "customConfig"
  )
}

/** Hidden width of the vision MLP. @since 0.1.0 @category utils */
export const visionMlpWidth = (c: ClipConfig): number => c.visionMlpWidth ?? 4 * c.visionWidth
/** Hidden width of the text MLP. @since 0.1.0 @category utils */
export const textMlpWidth = (c: ClipConfig): number => c.textMlpWidth ?? 4 * c.textWidth

/**
 * Checks that a configuration describes a buildable model (positive
 * integers, widths divisible by their head counts, an image made of whole
 * patches); returns it unchanged or throws a `ClipConfigError` naming the
 * field and `source`.
 *
 * @since 0.1.0
 * @category utils
 */
export const validateConfig = (config: ClipConfig, source: string): ClipConfig => {
  const decoded = Schema.decodeUnknownEither(ClipConfigSchema)(config)
  if (Either.isLeft(decoded)) {
    throw new ClipConfigError({ source, field: "config", reason: String(decoded.left.message) })
  }
  const positive: Array<keyof ClipConfig> = [
    "imageSize", "patchSize", "visionWidth", "visionLayers", "visionHeads",
    "textWidth", "textLayers", "textHeads", "embedDim", "vocabSize", "contextLength", "layerNormEps"
  ]
  for (const f of positive) {
    const v = config[f] as number
    if (!(v > 0)) throw new ClipConfigError({ source, field: f, reason: `must be positive, got ${v}` })
  }
  if (config.imageSize % config.patchSize !== 0) {
    throw new ClipConfigError({ source, field: "imageSize", reason: `${config.imageSize} is not a multiple of patchSize ${config.patchSize}` })
  }
  if (config.visionWidth % config.visionHeads !== 0) {
    throw new ClipConfigError({ source, field: "visionHeads", reason: `visionWidth ${config.visionWidth} is not divisible by ${config.visionHeads} heads` })
  }
  if (config.textWidth % config.textHeads !== 0) {
    throw new ClipConfigError({ source, field: "textHeads", reason: `textWidth ${config.textWidth} is not divisible by ${config.textHeads} heads` })
  }
  return config
}
