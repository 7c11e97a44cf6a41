/**
 * Opens Fashion-MNIST as a continual-learning experiment where zero-shot
 * retention is measurable. The ten classes are split in two halves:
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
 * The IDX files are read with `src/data/idx.ts`, whole and in memory
 * (gunzip in memory, ~50 MB for the full train split): a source this small
 * has no need for lazy reads. Grey 28x28 images stay 1-channel; CLIP
 * preprocessing expands channels and resizes to the model's resolution.
 *
 * @since 0.1.0
 */
import { fillTemplate } from "../../../clip/prompts.js"
import { fashionMnistClasses } from "../../catalog.js"
import { BadMagic, DataFileMissing, DataFormatError, LabelOutOfRange, TruncatedRecord } from "../../errors.js"
import { captionedImages, labeledImages, type CaptionedImages, type LabeledImages } from "../../ImageSet.js"
import { openMnist } from "../../idx.js"
import { permutation } from "../../../random.js"
import type { Experiment } from "../experiment.js"
import { type FashionMnistData, FashionMnistSourceError } from "../fashionMnist.js"

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

/** One split's pixels (all images, one read) and labels. */
interface Split {
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly bytes: Uint8Array
  readonly labels: Int32Array
}

/** The reader's errors name their file; they become this source's error, still naming it. */
const asSourceError = (e: unknown): unknown => {
  if (e instanceof DataFileMissing) return new FashionMnistSourceError({ file: e.file, reason: "file not found (set the source's `dir`)" })
  if (e instanceof BadMagic || e instanceof TruncatedRecord || e instanceof LabelOutOfRange || e instanceof DataFormatError) {
    return new FashionMnistSourceError({ file: e.file, reason: e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message })
  }
  return e
}

const readSplit = async (dir: string, split: "train" | "test"): Promise<Split> => {
  try {
    const set = await openMnist({ dir, split, variant: "fashion-mnist", gunzip: "memory" })
    const bytes = await set.read(Int32Array.from({ length: set.size }, (_, i) => i))
    return { height: set.height, width: set.width, channels: set.channels, bytes, labels: set.labels }
  } catch (e) {
    throw asSourceError(e)
  }
}

/** Up to `perClass` indices of each class (in a seeded order), grouped by class. */
const pick = (labels: Int32Array, classes: ReadonlyArray<number>, perClass: number, seed: number, skip = 0) => {
  const order = permutation(labels.length, seed)
  return classes.map((c) => {
    const all = Array.from(order).filter((i) => labels[i] === c)
    return all.slice(skip, skip + perClass)
  })
}

const gather = (images: Split, indices: ReadonlyArray<number>): Uint8Array => {
  const per = images.height * images.width * images.channels
  const out = new Uint8Array(indices.length * per)
  indices.forEach((i, k) => out.set(images.bytes.subarray(i * per, (i + 1) * per), k * per))
  return out
}

const inMemory = (name: string, images: Split, pixels: Uint8Array, size: number) => ({
  name,
  height: images.height,
  width: images.width,
  channels: images.channels,
  size,
  readInto: async (indices: ArrayLike<number>, out: Uint8Array) => {
    const per = images.height * images.width * images.channels
    for (let k = 0; k < indices.length; k++) out.set(pixels.subarray(indices[k]! * per, (indices[k]! + 1) * per), k * per)
  }
})

const labeled = (name: string, images: Split, groups: ReadonlyArray<ReadonlyArray<number>>, classNames: ReadonlyArray<string>): LabeledImages => {
  const flat = groups.flat()
  const labels = Int32Array.from(groups.flatMap((g, c) => g.map(() => c)))
  return labeledImages({ ...inMemory(name, images, gather(images, flat), flat.length), classNames, labels })
}

/** Captions of an image of class `name`: `n` distinct templates, rotated by image. */
const captionsOf = (name: string, k: number, n: number): ReadonlyArray<string> =>
  Array.from({ length: n }, (_, j) => fillTemplate(fashionTemplates[(k + j) % fashionTemplates.length]!, name))

const captioned = (name: string, images: Split, groups: ReadonlyArray<ReadonlyArray<number>>, classNames: ReadonlyArray<string>, n: number): CaptionedImages => {
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
export const openFashionMnist = async (p: FashionMnistData): Promise<Experiment> => {
  const pre = [...new Set(p.pretrainClasses)].sort((a, b) => a - b)
  const tgt = Array.from({ length: 10 }, (_, c) => c).filter((c) => !pre.includes(c))
  if (pre.length === 0 || tgt.length === 0) {
    throw new FashionMnistSourceError({ file: "pretrainClasses", reason: `must name between 1 and 9 of the 10 classes (got ${pre.length})` })
  }
  const train = await readSplit(p.dir, "train")
  const test = await readSplit(p.dir, "test")
  const preNames = pre.map((c) => fashionMnistClasses[c]!)
  const tgtNames = tgt.map((c) => fashionMnistClasses[c]!)
  const pretrainIdx = pick(train.labels, pre, p.pretrainPerClass, p.seed)
  const retrievalIdx = pick(train.labels, pre, p.retrievalPerClass, p.seed, p.pretrainPerClass)
  return {
    name: `fashion-mnist(seed ${p.seed})`,
    pretrain: captioned("fashion-mnist/pretrain", train, pretrainIdx, preNames, p.pretrainCaptions),
    target: {
      name: "fashion-mnist target",
      classNames: tgtNames,
      templates: fashionTemplates.slice(0, 3),
      train: labeled("fashion-mnist/target-train", train, pick(train.labels, tgt, p.targetTrainPerClass, p.seed + 1), tgtNames),
      test: labeled("fashion-mnist/target-test", test, pick(test.labels, tgt, p.targetTestPerClass, p.seed + 2), tgtNames)
    },
    zeroShot: [{
      name: "fashion-mnist zero-shot",
      classNames: preNames,
      templates: fashionTemplates.slice(0, 3),
      test: labeled("fashion-mnist/zero-shot", test, pick(test.labels, pre, p.zeroShotPerClass, p.seed + 3), preNames)
    }],
    retrieval: [captioned("fashion-mnist/retrieval", train, retrievalIdx, preNames, 2)]
  }
}
