/**
 * Prompts for zero-shot heads and class captions: the class names and
 * templates of a data set (`"a photo of a {}."`) and how a template is
 * filled. Tensor-free, so data sources and pipeline files read prompts
 * without loading TensorFlow.js.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { ClipConfigError } from "./errors.js"
import { clipAssetPath } from "./internal/tokenizerAssets.js"

/**
 * The class names and templates (`"a photo of a {}."`) of one data set.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromptSet {
  readonly classes: ReadonlyArray<string>
  readonly templates: ReadonlyArray<string>
}

/**
 * The prompt sets shipped in `assets/clip/prompts.json` (or the file at
 * `path`), by data-set name (`"CIFAR10"`, `"ImageNet"`, ...).
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadPrompts = (path?: string): Readonly<Record<string, PromptSet>> => {
  const file = path ?? clipAssetPath("prompts.json")
  if (file === undefined) throw new ClipConfigError({ source: "assets/clip/prompts.json", field: "prompts", reason: "file not found beside the package" })
  let json: unknown
  try {
    json = JSON.parse(readFileSync(file, "utf8"))
  } catch (e) {
    throw new ClipConfigError({ source: file, field: "prompts", reason: e instanceof Error ? e.message : String(e) })
  }
  if (typeof json !== "object" || json === null) throw new ClipConfigError({ source: file, field: "prompts", reason: "not a JSON object" })
  for (const [name, set] of Object.entries(json as Record<string, any>)) {
    const ok = Array.isArray(set?.classes) && Array.isArray(set?.templates) &&
      [...set.classes, ...set.templates].every((s: unknown) => typeof s === "string")
    if (!ok) throw new ClipConfigError({ source: file, field: name, reason: "expected { classes: string[], templates: string[] }" })
  }
  return json as Record<string, PromptSet>
}

/**
 * The prompt of one class under one template: every `{}` becomes the class
 * name.
 *
 * @since 0.1.0
 * @category utils
 */
export const fillTemplate = (template: string, className: string): string => template.split("{}").join(className)
