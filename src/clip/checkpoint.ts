/**
 * From a safetensors checkpoint to a configuration and float32 tensors under
 * Hugging Face names: the layout renamed (checkpointLayout.ts), the
 * configuration inferred (checkpointConfig.ts), and every tensor checked
 * against that configuration's names and shapes.
 *
 * @since 0.1.0
 */
import { inferConfig, type CheckpointOptions, type ConfigSources } from "./checkpointConfig.js"
import { hfTensors, type CheckpointLayout, type HostTensor } from "./checkpointLayout.js"
import type { ClipConfig } from "./config.js"
import { WeightsMismatchError } from "./errors.js"
import { paramSpecs } from "./parameters.js"
import type { SafetensorsFile } from "../formats/safetensors.js"

export { CONFIG_METADATA_KEY, conventionalHeads, type CheckpointOptions } from "./checkpointConfig.js"
export { detectLayout, openaiToHf, type CheckpointLayout, type HostTensor } from "./checkpointLayout.js"

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
  readonly sources: ConfigSources
}

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
  const { layout, tensors, unexpected } = hfTensors(f)
  const { config, sources } = inferConfig(f.file, tensors, f.metadata, options, unexpected)
  checkTensors(f.file, config, tensors, unexpected)
  return { file: f.file, layout, config, tensors, sources }
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
