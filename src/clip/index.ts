/**
 * The CLIP module's public front: configurations, the model and its
 * checkpoints, preprocessing, batched embedding, zero-shot heads, and the
 * tokenizer's three functions.
 *
 * @since 0.1.0
 */
export {
  ViT_B_16, ViT_B_32, ViT_L_14, ViT_L_14_336, ClipConfigSchema, customConfig, namedConfigs, validateConfig,
  type ClipConfig
} from "./config.js"
export {
  clipFromCheckpoint, clipFromSafetensors, createClip, inspectClip, loadClip, loadClipEffect, selectParams,
  type ClipModel, type LoadOptions, type TunePart
} from "./model.js"
export { readCheckpoint, detectLayout, conventionalHeads, type Checkpoint, type CheckpointLayout, type CheckpointOptions } from "./checkpoint.js"
export { parseSafetensors, readFloat32, serializeSafetensors, type SafetensorsFile, type SafetensorsEntry, type DType as SafetensorsDtype, type TensorToWrite } from "../formats/safetensors.js"
export { paramSpecs, type ParamSpec } from "./parameters.js"
export { l2Normalize, logitsPerImage } from "./similarity.js"
export { embedImages, embedTexts, embedImageBatches, type EmbedOptions } from "./embed.js"
export {
  CLIP_MEAN, CLIP_STD, decodeImage, loadImages, preprocessImage, preprocessPixels, preprocessRaw, resizeBicubic,
  type RawImage
} from "./preprocess.js"
export { fillTemplate, loadPrompts, type PromptSet } from "./prompts.js"
export { classify, zeroShotClassifier, type ZeroShotOptions } from "./zeroShot.js"
export { gelu, quickGelu } from "./activation.js"
export {
  ClipConfigError, ClipInputError, ImageDecodeError, SafetensorsError, WeightsMismatchError, type ClipError
} from "./errors.js"
export { tokenize, encodeText, decodeTokens } from "./tokenizer.js"
