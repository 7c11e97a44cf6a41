/**
 * Fashion-MNIST as a continual-learning experiment where zero-shot retention
 * is measurable. The ten classes are split in two halves:
 *
 * - the *pretraining classes* (default t-shirt, trousers, pullover, sandal,
 *   bag) give image-caption pairs (captions = the class name in simple
 *   templates, "a photo of a {}", "a grey {}", ...) for contrastive
 *   pretraining;
 * - the *target classes* (default dress, coat, shirt, sneaker, ankle boot)
 *   are the task learned in sessions: never seen in pretraining;
 * - zero-shot = classifying test images of the pretraining classes from
 *   prompts (no session trains on them), so it measures what fine-tuning
 *   forgets of the pretrained alignment;
 * - retrieval = training images of pretraining classes held out of
 *   pretraining, with template captions.
 *
 * Files are read whole (gunzip in memory, ~50 MB for the full train split):
 * a source this small has no need for lazy reads. Grey 28x28 images stay 1-channel; CLIP preprocessing
 * expands channels and resizes to the model's resolution.
 *
 * @since 0.1.0
 */
import { Data, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { gunzipSync } from "node:zlib"
import { fillTemplate } from "../../clip/prompts.js"
import { fashionMnistClasses } from "../../data/catalog.js"
import { captionedImages, labeledImages, type CaptionedImages, type LabeledImages } from "../../data/ImageSet.js"
import { debianFashionMnistDir } from "../../data/idx.js"
import { permutation } from "../../random.js"
import type { Experiment } from "../experiment.js"
import { PositiveInt } from "../../schemas.js"

const ClassIndex = Schema.Int.pipe(Schema.between(0, 9))

/**
 * Parameters of the `fashion-mnist` source.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FashionMnistData = Schema.Struct({
  source: Schema.Literal("fashion-mnist"),
  /** Folder with the four IDX files (gzipped or not); default Debian's `dataset-fashion-mnist`. */
  dir: Schema.optionalWith(Schema.String, { default: () => debianFashionMnistDir }),
  seed: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  /** Classes (indices 0..9) used for pretraining, zero-shot and retrieval; the rest form the target task. */
  pretrainClasses: Schema.optionalWith(Schema.Array(ClassIndex), { default: () => [0, 1, 2, 5, 8] as const }),
  pretrainPerClass: Schema.optionalWith(PositiveInt, { default: () => 1000 }),
  pretrainCaptions: Schema.optionalWith(PositiveInt, { default: () => 2 }),
  retrievalPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 }),
  targetTrainPerClass: Schema.optionalWith(PositiveInt, { default: () => 300 }),
  targetTestPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 }),
  zeroShotPerClass: Schema.optionalWith(PositiveInt, { default: () => 100 })
})

/** @since 0.1.0 @category models */
export type FashionMnistData = typeof FashionMnistData.Type

/**
 * The source's files or parameters are unusable; names the file (or field).
 *
 * @since 0.1.0
 * @category errors
 */
export class FashionMnistSourceError extends Data.TaggedError("FashionMnistSourceError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `fashion-mnist source: ${this.file}: ${this.reason}`
  }
}

/**
 * Caption templates; `{}` is the class name. The first few are also the
 * zero-shot prompts, so prompts are in-distribution for the pretrained model.
 *
 * @since 0.1.0
 * @category constants
 */
export const fashionTemplates: ReadonlyArray<string> = [
  "a photo of a {}", "a grey {}", "a picture of a {}", "a small {}", "a {} on black", "an image of a {}"
]

interface Idx {
  readonly file: string
  readonly count: number
  readonly height: number
  readonly width: number
  readonly bytes: Uint8Array
}

const readIdx = (dir: string, base: string, ndim: 1 | 3): Idx => {
  const candidates = [base, `${base}.gz`].map((f) => path.join(dir, f))
  const file = candidates.find((f) => fs.existsSync(f))
  if (file === undefined) throw new FashionMnistSourceError({ file: path.join(dir, `${base}[.gz]`), reason: "file not found (set the source's `dir`)" })
  let buf: Uint8Array
  try {
    const raw = fs.readFileSync(file)
    buf = file.endsWith(".gz") ? gunzipSync(raw) : raw
  } catch (e) {
    throw new FashionMnistSourceError({ file, reason: `cannot read: ${(e as Error).message}` })
  }
  if (buf.length < 4 + 4 * ndim || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 8 || buf[3] !== ndim) {
    throw new FashionMnistSourceError({ file, reason: `not an IDX file of ${ndim} dimension(s) of unsigned bytes (magic 0x0000080${ndim})` })
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const dims = Array.from({ length: ndim }, (_, k) => view.getUint32(4 + 4 * k, false))
  const count = dims[0]!
  const height = dims[1] ?? 1
  const width = dims[2] ?? 1
  const start = 4 + 4 * ndim
  if (buf.length - start < count * height * width) {
    throw new FashionMnistSourceError({ file, reason: `truncated: ${buf.length - start} data bytes for ${count} records of ${height * width}` })
  }
  return { file, count, height, width, bytes: buf.subarray(start, start + count * height * width) }
}

const readSplit = (dir: string, split: "train" | "t10k") => {
  const images = readIdx(dir, `${split}-images-idx3-ubyte`, 3)
  const labels = readIdx(dir, `${split}-labels-idx1-ubyte`, 1)
  if (labels.count !== images.count) {
    throw new FashionMnistSourceError({ file: labels.file, reason: `${labels.count} labels for ${images.count} images in ${images.file}` })
  }
  labels.bytes.forEach((l, i) => {
    if (l > 9) throw new FashionMnistSourceError({ file: labels.file, reason: `record ${i}: label ${l} is outside 0..9` })
  })
  return { images, labels: labels.bytes }
}

/** Up to `perClass` indices of each class (in a seeded order), grouped by class. */
const pick = (labels: Uint8Array, classes: ReadonlyArray<number>, perClass: number, seed: number, skip = 0) => {
  const order = permutation(labels.length, seed)
  return classes.map((c) => {
    const all = Array.from(order).filter((i) => labels[i] === c)
    return all.slice(skip, skip + perClass)
  })
}

const gather = (images: Idx, indices: ReadonlyArray<number>): Uint8Array => {
  const per = images.height * images.width
  const out = new Uint8Array(indices.length * per)
  indices.forEach((i, k) => out.set(images.bytes.subarray(i * per, (i + 1) * per), k * per))
  return out
}

const inMemory = (name: string, images: Idx, pixels: Uint8Array, size: number) => ({
  name,
  height: images.height,
  width: images.width,
  channels: 1 as const,
  size,
  readInto: async (indices: ArrayLike<number>, out: Uint8Array) => {
    const per = images.height * images.width
    for (let k = 0; k < indices.length; k++) out.set(pixels.subarray(indices[k]! * per, (indices[k]! + 1) * per), k * per)
  }
})

const labeled = (name: string, images: Idx, groups: ReadonlyArray<ReadonlyArray<number>>, classNames: ReadonlyArray<string>): LabeledImages => {
  const flat = groups.flat()
  const labels = Int32Array.from(groups.flatMap((g, c) => g.map(() => c)))
  return labeledImages({ ...inMemory(name, images, gather(images, flat), flat.length), classNames, labels })
}

/** Captions of an image of class `name`: `n` distinct templates, rotated by image. */
const captionsOf = (name: string, k: number, n: number): ReadonlyArray<string> =>
  Array.from({ length: n }, (_, j) => fillTemplate(fashionTemplates[(k + j) % fashionTemplates.length]!, name))

const captioned = (name: string, images: Idx, groups: ReadonlyArray<ReadonlyArray<number>>, classNames: ReadonlyArray<string>, n: number): CaptionedImages => {
  const flat = groups.flat()
  const captions = groups.flatMap((g, c) => g.map((_, k) => captionsOf(classNames[c]!, k, n)))
  return captionedImages({ ...inMemory(name, images, gather(images, flat), flat.length), captions })
}

/**
 * Open the Fashion-MNIST experiment (see the module comment for its design).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openFashionMnist = (p: FashionMnistData): Experiment => {
  const pre = [...new Set(p.pretrainClasses)].sort((a, b) => a - b)
  const tgt = Array.from({ length: 10 }, (_, c) => c).filter((c) => !pre.includes(c))
  if (pre.length === 0 || tgt.length === 0) {
    throw new FashionMnistSourceError({ file: "pretrainClasses", reason: `must name between 1 and 9 of the 10 classes (got ${pre.length})` })
  }
  const train = readSplit(p.dir, "train")
  const test = readSplit(p.dir, "t10k")
  const preNames = pre.map((c) => fashionMnistClasses[c]!)
  const tgtNames = tgt.map((c) => fashionMnistClasses[c]!)
  const pretrainIdx = pick(train.labels, pre, p.pretrainPerClass, p.seed)
  const retrievalIdx = pick(train.labels, pre, p.retrievalPerClass, p.seed, p.pretrainPerClass)
  return {
    name: `fashion-mnist(seed ${p.seed})`,
    pretrain: captioned("fashion-mnist/pretrain", train.images, pretrainIdx, preNames, p.pretrainCaptions),
    target: {
      name: "fashion-mnist target",
      classNames: tgtNames,
      templates: fashionTemplates.slice(0, 3),
      train: labeled("fashion-mnist/target-train", train.images, pick(train.labels, tgt, p.targetTrainPerClass, p.seed + 1), tgtNames),
      test: labeled("fashion-mnist/target-test", test.images, pick(test.labels, tgt, p.targetTestPerClass, p.seed + 2), tgtNames)
    },
    zeroShot: [{
      name: "fashion-mnist zero-shot",
      classNames: preNames,
      templates: fashionTemplates.slice(0, 3),
      test: labeled("fashion-mnist/zero-shot", test.images, pick(test.labels, pre, p.zeroShotPerClass, p.seed + 3), preNames)
    }],
    retrieval: [captioned("fashion-mnist/retrieval", train.images, retrievalIdx, preNames, 2)]
  }
}
