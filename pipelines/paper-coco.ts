/**
 * The paper's protocol (Ding et al., 2022) on real CLIP weights and data you
 * downloaded yourself: learn the 80 COCO object classes (crops cut from the
 * instances boxes) once in one session (OST) and once in 8 sessions of 10
 * (MST), with FT, LwF, VR-LwF, ZSCL and WiSE-FT, and measure target
 * accuracy, zero-shot accuracy on held-out classes (CIFAR-100 and/or an image
 * folder) and COCO 5k / Flickr30K 1k retrieval after every session.
 *
 *   CLIPCL_CLIP_WEIGHTS=ViT-B-32.safetensors CLIPCL_COCO_DIR=coco \
 *   CLIPCL_FLICKR_DIR=flickr30k CLIPCL_CIFAR100_DIR=cifar-100-binary \
 *   clipcl run pipelines/paper-coco.ts
 *
 * Every variable is listed in `paperCocoEnv` below and in the README
 * ("Real CLIP weights and data sets"). Nothing downloads; missing files stop
 * the pipeline before anything runs, naming the file and the variable.
 */
import { Data } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Clip, Methods } from "clipcl"
import { pipeline } from "clipcl/dsl"
import { addReport, checkpointFile, comparedMethods, loadCheckpoint, missingCocoInputs, study, type LabelledTable } from "clipcl/stages"

const { loadPrompts } = Clip
const { paperDefaults } = Methods

/**
 * The environment variables the pipeline reads, with what each is for.
 * Paths become stage parameters (so they are in the cache keys).
 */
export const paperCocoEnv = {
  CLIPCL_CLIP_WEIGHTS: "CLIP safetensors file (OpenAI or Hugging Face layout), e.g. ViT-B/32 (required)",
  CLIPCL_COCO_DIR: "COCO root: annotations/instances_{train,val}2014.json, train2014/, val2014/, dataset_coco.json (required)",
  CLIPCL_FLICKR_DIR: "Flickr30K root: dataset_flickr30k.json, flickr30k-images/ (optional: Flickr30K retrieval)",
  CLIPCL_CIFAR100_DIR: "cifar-100-binary folder with test.bin (zero-shot; this or CLIPCL_ZEROSHOT_DIR is required)",
  CLIPCL_ZEROSHOT_DIR: "class-per-folder image tree for zero-shot (optional)",
  CLIPCL_ZEROSHOT_PROMPTS: "prompts.json set whose templates the folder uses (default ImageNet)",
  CLIPCL_ZEROSHOT_NAMES: "folders | prompts: class names from the folder names or the prompt set (default folders)",
  CLIPCL_ZEROSHOT_PER_CLASS: "zero-shot test images per class, for CIFAR-100 and the folder (default all)",
  CLIPCL_PAPER_SESSIONS: "sessions of multi-session training (default 8)",
  CLIPCL_PAPER_EPOCHS: `epochs per session (default ${paperDefaults.epochs})`,
  CLIPCL_PAPER_BATCH_SIZE: `batch size (default ${paperDefaults.batchSize})`,
  CLIPCL_PAPER_TRAIN_PER_CLASS: "training crops per class (default 100)",
  CLIPCL_PAPER_TEST_PER_CLASS: "test crops per class (default 50)",
  CLIPCL_PAPER_IMAGE_SIZE: "decoded image size, the model's input size (default 224)"
} as const

type EnvName = keyof typeof paperCocoEnv

/** The pipeline's settings cannot be used; lists every problem found. */
class PaperCocoConfigError extends Data.TaggedError("PaperCocoConfigError")<{ readonly problems: ReadonlyArray<string> }> {
  override get message() {
    return `paper-coco: ${this.problems.join("; ")} (see README.md, "Real CLIP weights and data sets")`
  }
}

const env = (name: EnvName): string | undefined => {
  const v = process.env[name]?.trim()
  return v === undefined || v === "" ? undefined : v
}

export default pipeline("paper-coco", (p) => {
  const problems: Array<string> = []
  const int = <A>(name: EnvName, fallback: A): number | A => {
    const v = env(name)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n <= 0) problems.push(`${name}=${v} is not a positive integer`)
    return n
  }
  const dir = (name: EnvName): string | undefined => {
    const v = env(name)
    return v === undefined ? undefined : path.resolve(v)
  }
  const weights = dir("CLIPCL_CLIP_WEIGHTS")
  const cocoDir = dir("CLIPCL_COCO_DIR")
  const flickrDir = dir("CLIPCL_FLICKR_DIR")
  const cifarDir = dir("CLIPCL_CIFAR100_DIR")
  const folderDir = dir("CLIPCL_ZEROSHOT_DIR")
  const names = env("CLIPCL_ZEROSHOT_NAMES") ?? "folders"
  if (names !== "folders" && names !== "prompts") problems.push(`CLIPCL_ZEROSHOT_NAMES=${names} must be "folders" or "prompts"`)
  const sessions = int("CLIPCL_PAPER_SESSIONS", 8)
  const zeroShotPerClass = int("CLIPCL_ZEROSHOT_PER_CLASS", undefined)
  const perClass = zeroShotPerClass === undefined ? {} : { perClass: zeroShotPerClass }
  const train = {
    learningRate: paperDefaults.learningRate,
    epochs: int("CLIPCL_PAPER_EPOCHS", paperDefaults.epochs),
    batchSize: int("CLIPCL_PAPER_BATCH_SIZE", paperDefaults.batchSize),
    clipNorm: paperDefaults.clipNorm,
    decayEvery: paperDefaults.decayEvery,
    decayFactor: paperDefaults.decayFactor
  }

  if (weights === undefined) problems.push("CLIPCL_CLIP_WEIGHTS is not set (a CLIP safetensors file)")
  else if (!fs.existsSync(weights)) problems.push(`CLIP weights file not found: ${weights} (CLIPCL_CLIP_WEIGHTS)`)
  if (cocoDir === undefined) problems.push("CLIPCL_COCO_DIR is not set (the COCO root folder)")
  if (cifarDir === undefined && folderDir === undefined) problems.push("set CLIPCL_CIFAR100_DIR and/or CLIPCL_ZEROSHOT_DIR (held-out classes for zero-shot accuracy)")
  const promptSet = env("CLIPCL_ZEROSHOT_PROMPTS") ?? "ImageNet"
  if (folderDir !== undefined && loadPrompts()[promptSet] === undefined) problems.push(`CLIPCL_ZEROSHOT_PROMPTS=${promptSet} is not a prompt set of assets/clip/prompts.json`)

  const data = {
    source: "coco" as const,
    cocoDir: cocoDir ?? "",
    ...(flickrDir === undefined ? {} : { flickrDir }),
    zeroShot: [
      ...(cifarDir === undefined ? [] : [{ kind: "cifar100" as const, dir: cifarDir, ...perClass }]),
      ...(folderDir === undefined
        ? []
        : [{ kind: "folder" as const, dir: folderDir, prompts: promptSet, classNames: names as "folders" | "prompts", ...perClass }])
    ],
    imageSize: int("CLIPCL_PAPER_IMAGE_SIZE", 224),
    seed: 0,
    targetTrainPerClass: int("CLIPCL_PAPER_TRAIN_PER_CLASS", 100),
    targetTestPerClass: int("CLIPCL_PAPER_TEST_PER_CLASS", 50)
  }
  // The source's parameter decoding checks the same files, but once per stage; check them once here,
  // naming the variable to set.
  if (cocoDir !== undefined) {
    const variable = (param: string): EnvName => {
      const z = /^zeroShot\[(\d+)\]/.exec(param)
      if (z !== null) return data.zeroShot[Number(z[1])]!.kind === "cifar100" ? "CLIPCL_CIFAR100_DIR" : "CLIPCL_ZEROSHOT_DIR"
      return param.startsWith("flickr") ? "CLIPCL_FLICKR_DIR" : "CLIPCL_COCO_DIR"
    }
    for (const m of missingCocoInputs(data)) problems.push(`${m.file}: ${m.problem} (${variable(m.param)})`)
  }
  if (problems.length > 0) throw new PaperCocoConfigError({ problems })

  const base = p.add(loadCheckpoint, { name: "weights", params: checkpointFile(weights!) })
  const tables: Array<LabelledTable> = []
  p.sweep([{ protocol: "OST" }, { protocol: "MST" }], ({ protocol }) => {
    tables.push(...study(p, base, {
      data,
      sessions: protocol === "OST" ? 1 : sessions,
      train,
      methods: comparedMethods,
      setting: { protocol },
      // The OST and MST pretrained rows differ (per-session accuracies), so each keeps its protocol.
      pretrainedSetting: { protocol }
    }))
  })
  addReport(p, tables)
}, { seed: paperDefaults.seed })
