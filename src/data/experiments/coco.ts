/**
 * The paper's protocol on real data (`source: "coco"`), from files the user
 * downloaded; nothing is fetched.
 *
 * - *Target task*: COCO object crops (`instances_*.json`, every box wider and
 *   taller than `minBoxSize`), one class per COCO category (80, labels in
 *   COCO id order, COCO's names). Training crops come from the train
 *   annotations, test crops from the val annotations, at most
 *   `targetTrainPerClass` / `targetTestPerClass` per class (seeded): the
 *   stages hold a session's images in memory, and COCO's ~600k crops would
 *   not fit.
 * - *Zero-shot* on held-out classes: CIFAR-100 (binary distribution) and/or a
 *   class-per-folder image tree, with the class names and prompt templates
 *   of `prompts.json` (`assets/clip`).
 * - *Retrieval*: the Karpathy test split of COCO (5k images, folds of
 *   `retrievalFoldSize`) and, when `flickrDir` is given, of Flickr30K (1k),
 *   reported as separate tasks.
 * - *Reference pairs* (ZSCL's distillation data, the experiment's `pretrain`
 *   set): the Karpathy train split of COCO.
 *
 * Cache keys: decoding the parameters stamps every file and image folder the
 * source reads (size and modification time) into the `files` field, so a
 * replaced annotation file or a changed folder re-keys every stage that reads
 * the source, whether the path came from the pipeline or from `--set`; a
 * missing file fails decoding, naming the file and the parameter, before
 * anything runs. Images inside a folder are covered by the folder's mtime
 * (adding, removing or renaming files), not by their contents.
 *
 * @since 0.1.0
 */
import { Data, ParseResult, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { loadPrompts, type PromptSet } from "../../clip/prompts.js"
import { PositiveInt } from "../../schemas.js"
import { folderClasses } from "../folderNames.js"
import type { DataSource } from "./experiment.js"

/**
 * Zero-shot on CIFAR-100's test split (`test.bin` in `dir`, the
 * `cifar-100-binary` folder), with `prompts.json`'s CIFAR100 names and
 * templates.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ZeroShotCifar100 = Schema.Struct({
  kind: Schema.Literal("cifar100"),
  dir: Schema.String,
  /** Test images per class (seeded); absent: all 100. */
  perClass: Schema.optional(PositiveInt)
})

/**
 * Zero-shot on a class-per-folder image tree. Templates come from the
 * `prompts.json` set `prompts`; class names are the folder names (`_` read as
 * a space) or, with `classNames: "prompts"`, that set's names in folder order
 * (e.g. ImageNet's validation images sorted into wnid folders).
 *
 * @since 0.1.0
 * @category schemas
 */
export const ZeroShotFolder = Schema.Struct({
  kind: Schema.Literal("folder"),
  dir: Schema.String,
  /** Task name in the results (default: the folder's name). */
  name: Schema.optional(Schema.NonEmptyString),
  prompts: Schema.optionalWith(Schema.NonEmptyString, { default: () => "ImageNet" }),
  classNames: Schema.optionalWith(Schema.Literal("folders", "prompts"), { default: () => "folders" as const }),
  perClass: Schema.optional(PositiveInt)
})

const Fields = Schema.Struct({
  source: Schema.Literal("coco"),
  /** The COCO root; the relative paths below are resolved against it. */
  cocoDir: Schema.NonEmptyString,
  trainInstances: Schema.optionalWith(Schema.NonEmptyString, { default: () => "annotations/instances_train2014.json" }),
  testInstances: Schema.optionalWith(Schema.NonEmptyString, { default: () => "annotations/instances_val2014.json" }),
  trainImages: Schema.optionalWith(Schema.NonEmptyString, { default: () => "train2014" }),
  testImages: Schema.optionalWith(Schema.NonEmptyString, { default: () => "val2014" }),
  /** Karpathy's split of COCO; its `filepath`/`filename` are relative to `cocoDir`. */
  karpathy: Schema.optionalWith(Schema.NonEmptyString, { default: () => "dataset_coco.json" }),
  /** The Flickr30K root (absent: no Flickr30K retrieval); the two paths below are relative to it. */
  flickrDir: Schema.optional(Schema.NonEmptyString),
  flickrKarpathy: Schema.optionalWith(Schema.NonEmptyString, { default: () => "dataset_flickr30k.json" }),
  flickrImages: Schema.optionalWith(Schema.NonEmptyString, { default: () => "flickr30k-images" }),
  zeroShot: Schema.optionalWith(Schema.Array(Schema.Union(ZeroShotCifar100, ZeroShotFolder)), { default: () => [] }),
  /** Side of the square crops and retrieval images as decoded (the model's input size avoids a second resize). */
  imageSize: Schema.optionalWith(PositiveInt, { default: () => 224 }),
  seed: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  /** Boxes must be wider and taller than this many pixels. */
  minBoxSize: Schema.optionalWith(Schema.Number.pipe(Schema.nonNegative()), { default: () => 4 }),
  /** Crops per class (seeded); absent: every crop. */
  targetTrainPerClass: Schema.optional(PositiveInt),
  targetTestPerClass: Schema.optional(PositiveInt),
  retrievalFoldSize: Schema.optionalWith(PositiveInt, { default: () => 1000 }),
  /** Derived when decoded (path -> size and mtime of every input); whatever is written here is replaced. */
  files: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

type Fields = typeof Fields.Type

/**
 * One file or folder the source reads, and the parameter that names it.
 *
 * @since 0.1.0
 * @category models
 */
export interface CocoInput {
  readonly param: string
  readonly file: string
  readonly kind: "file" | "folder"
}

/**
 * Every file and folder a `coco` source with these parameters reads.
 *
 * @since 0.1.0
 * @category utils
 */
export const cocoInputs = (p: Omit<Fields, "files">): ReadonlyArray<CocoInput> => {
  const coco = (param: "trainInstances" | "testInstances" | "trainImages" | "testImages" | "karpathy", kind: CocoInput["kind"]): CocoInput =>
    ({ param, file: path.resolve(p.cocoDir, p[param]), kind })
  const out: Array<CocoInput> = [
    coco("trainInstances", "file"),
    coco("testInstances", "file"),
    coco("trainImages", "folder"),
    coco("testImages", "folder"),
    coco("karpathy", "file")
  ]
  if (p.flickrDir !== undefined) {
    out.push({ param: "flickrKarpathy", file: path.resolve(p.flickrDir, p.flickrKarpathy), kind: "file" })
    out.push({ param: "flickrImages", file: path.resolve(p.flickrDir, p.flickrImages), kind: "folder" })
  }
  p.zeroShot.forEach((z, i) => {
    const param = `zeroShot[${i}].dir`
    if (z.kind === "cifar100") out.push({ param, file: path.resolve(z.dir, "test.bin"), kind: "file" })
    else out.push({ param, file: path.resolve(z.dir), kind: "folder" })
  })
  return out
}

/**
 * The inputs of a `coco` source (parameters as written, defaults filled in)
 * that do not exist, with what is wrong: for a pipeline to check once, before
 * its stages' parameters are decoded.
 *
 * @since 0.1.0
 * @category utils
 */
export const missingCocoInputs = (p: typeof Fields.Encoded): ReadonlyArray<CocoInput & { readonly problem: string }> =>
  cocoInputs(Schema.decodeSync(Fields)(p)).flatMap((input) => {
    const s = stampOf(input)
    return "problem" in s ? [{ ...input, problem: s.problem }] : []
  })

/** `size mtime` of a file, `folder mtime` of a folder; a string saying what is wrong otherwise. */
const stampOf = (input: CocoInput): { readonly ok: string } | { readonly problem: string } => {
  let st: fs.Stats
  try {
    st = fs.statSync(input.file)
  } catch {
    return { problem: `${input.kind} not found` }
  }
  if (input.kind === "file" && !st.isFile()) return { problem: "not a file" }
  if (input.kind === "folder" && !st.isDirectory()) return { problem: "not a folder" }
  const mtime = new Date(st.mtimeMs).toISOString()
  return { ok: input.kind === "file" ? `${st.size} bytes, modified ${mtime}` : `folder, modified ${mtime}` }
}

/**
 * Stamps of every input (class sub-folders of zero-shot folders included,
 * so images added to a class re-key), or the problems found.
 */
const stamp = (p: Fields): { readonly files: Record<string, string>; readonly problems: ReadonlyArray<string> } => {
  const files: Record<string, string> = {}
  const problems: Array<string> = []
  for (const input of cocoInputs(p)) {
    const s = stampOf(input)
    if ("problem" in s) {
      problems.push(`${input.file}: ${s.problem} (parameter ${input.param})`)
      continue
    }
    files[input.file] = s.ok
    if (input.kind === "folder" && input.param.startsWith("zeroShot")) {
      for (const c of folderClasses(input.file)) {
        const sub = stampOf({ ...input, file: path.join(input.file, c) })
        if ("ok" in sub) files[path.join(input.file, c)] = sub.ok
      }
    }
  }
  const known = promptSets()
  p.zeroShot.forEach((z, i) => {
    if (z.kind === "folder" && known[z.prompts] === undefined) {
      problems.push(`zeroShot[${i}].prompts: "${z.prompts}" is not a prompt set of prompts.json (known: ${Object.keys(known).join(", ")})`)
    }
  })
  return { files, problems }
}

let prompts: Readonly<Record<string, PromptSet>> | undefined

/**
 * `prompts.json`'s prompt sets, read once per process.
 *
 * @since 0.1.0
 * @category utils
 */
export const promptSets = (): Readonly<Record<string, PromptSet>> => (prompts ??= loadPrompts())

/**
 * Parameters of the `coco` source (see the module comment). Decoding checks
 * that every input exists and records its size and mtime in `files`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CocoData = Schema.transformOrFail(Fields, Schema.typeSchema(Fields), {
  strict: true,
  decode: (p, _options, ast) => {
    const { files, problems } = stamp(p)
    return problems.length > 0
      ? ParseResult.fail(new ParseResult.Type(ast, p, `coco source: ${problems.join("; ")}`))
      : ParseResult.succeed({ ...p, files })
  },
  encode: ParseResult.succeed
})

/** @since 0.1.0 @category models */
export type CocoData = typeof CocoData.Type

/**
 * The source's files cannot be used together; names the file.
 *
 * @since 0.1.0
 * @category errors
 */
export class CocoSourceError extends Data.TaggedError("CocoSourceError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `coco source: ${this.file}: ${this.reason}`
  }
}

/**
 * Prompt template of the COCO classes, for training (cross-entropy over
 * class prompts) and evaluation alike.
 *
 * @since 0.1.0
 * @category constants
 */
export const cocoTemplates: ReadonlyArray<string> = ["a photo of a {}."]

/**
 * The `coco` source.
 *
 * @since 0.1.0
 * @category sources
 */
export const coco: DataSource<CocoData, typeof CocoData.Encoded> = {
  name: "coco",
  params: CocoData,
  open: async (p) => (await import("./open/coco.js")).openCoco(p)
}
