/**
 * Opens the `coco` source (its protocol is described in `../coco.ts`): COCO
 * object crops as the target task, CIFAR-100 and image folders as zero-shot
 * tasks, Karpathy test splits of COCO and Flickr30K as retrieval, COCO's
 * Karpathy train split as reference pairs.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { openCifar } from "../../cifar.js"
import { openCocoCrops, openKarpathy } from "../../coco.js"
import { openImageFolder } from "../../folder.js"
import { folderClasses } from "../../folderNames.js"
import { type CaptionedImages, folds, type LabeledImages, subset } from "../../ImageSet.js"
import { permutation } from "../../../random.js"
import { type CocoData, CocoSourceError, cocoTemplates, promptSets } from "../coco.js"
import type { Experiment, PromptedTask } from "../experiment.js"

/** At most `perClass` records of each class (seeded), in set order so crops of one image stay adjacent. */
const capPerClass = (set: LabeledImages, perClass: number | undefined, seed: number, name: string): LabeledImages => {
  if (perClass === undefined) return set
  const taken = new Int32Array(set.classNames.length)
  const keep: Array<number> = []
  for (const i of permutation(set.size, seed)) {
    const c = set.labels[i]!
    if (taken[c]! < perClass) {
      taken[c]!++
      keep.push(i)
    }
  }
  return subset(set, keep.sort((a, b) => a - b), name)
}

/** Every class must have crops: a class with none could be neither learned nor scored. */
const requireEveryClass = (set: LabeledImages, file: string) => {
  const counts = new Int32Array(set.classNames.length)
  for (const l of set.labels) counts[l]!++
  const empty = set.classNames.filter((_, c) => counts[c] === 0)
  if (empty.length > 0) throw new CocoSourceError({ file, reason: `no box larger than the minimum size for categor${empty.length > 1 ? "ies" : "y"} ${empty.join(", ")}` })
}

const zeroShotTask = async (z: CocoData["zeroShot"][number], p: CocoData, seed: number): Promise<PromptedTask> => {
  const sets = promptSets()
  if (z.kind === "cifar100") {
    const set = sets["CIFAR100"]!
    const test = await openCifar({ dir: z.dir, variant: "cifar100", split: "test", classNames: set.classes, name: "cifar100/test" })
    return { name: "cifar100", classNames: set.classes, templates: set.templates, test: capPerClass(test, z.perClass, seed, "cifar100/test") }
  }
  const set = sets[z.prompts]!
  const folders = folderClasses(z.dir)
  if (z.classNames === "prompts" && set.classes.length !== folders.length) {
    throw new CocoSourceError({ file: z.dir, reason: `${folders.length} class folders, but prompt set ${z.prompts} names ${set.classes.length} classes (use classNames "folders")` })
  }
  const classNames = z.classNames === "prompts" ? set.classes : folders.map((f) => f.replace(/_/g, " "))
  const name = z.name ?? path.basename(path.resolve(z.dir))
  const test = await openImageFolder({ root: z.dir, size: p.imageSize, classNames, name })
  return { name, classNames, templates: set.templates, test: capPerClass(test, z.perClass, seed, name) }
}

/**
 * Open the COCO experiment (see the module comment).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openCoco = async (p: CocoData): Promise<Experiment> => {
  const at = (rel: string) => path.resolve(p.cocoDir, rel)
  const crops = (annotations: string, images: string, name: string) =>
    openCocoCrops({ annotations: at(annotations), images: at(images), size: p.imageSize, minBoxSize: p.minBoxSize, name })
  const [trainAll, testAll] = await Promise.all([crops(p.trainInstances, p.trainImages, "coco/train-crops"), crops(p.testInstances, p.testImages, "coco/test-crops")])
  if (trainAll.classNames.join("\n") !== testAll.classNames.join("\n")) {
    throw new CocoSourceError({ file: at(p.testInstances), reason: `its categories differ from those of ${at(p.trainInstances)}` })
  }
  requireEveryClass(trainAll, at(p.trainInstances))
  requireEveryClass(testAll, at(p.testInstances))
  const karpathy = (split: "train" | "test", name: string) =>
    openKarpathy({ file: at(p.karpathy), images: p.cocoDir, split, size: p.imageSize, name })
  const [reference, cocoTest] = await Promise.all([karpathy("train", "coco/karpathy-train"), karpathy("test", "coco/karpathy-test")])
  const retrieval: Array<{ readonly task: string; readonly folds: ReadonlyArray<CaptionedImages> }> = [
    { task: "coco retrieval", folds: foldsOf(cocoTest, p.retrievalFoldSize, at(p.karpathy)) }
  ]
  if (p.flickrDir !== undefined) {
    const file = path.resolve(p.flickrDir, p.flickrKarpathy)
    const flickr = await openKarpathy({
      file,
      images: path.resolve(p.flickrDir, p.flickrImages),
      split: "test",
      size: p.imageSize,
      name: "flickr30k/karpathy-test"
    })
    retrieval.push({ task: "flickr30k retrieval", folds: foldsOf(flickr, p.retrievalFoldSize, file) })
  }
  const zeroShot: Array<PromptedTask> = []
  for (const [i, z] of p.zeroShot.entries()) zeroShot.push(await zeroShotTask(z, p, p.seed + 3 + i))
  return {
    name: `coco(${p.cocoDir})`,
    pretrain: reference,
    target: {
      name: "coco crops",
      classNames: trainAll.classNames,
      templates: cocoTemplates,
      train: capPerClass(trainAll, p.targetTrainPerClass, p.seed + 1, "coco/train-crops"),
      test: capPerClass(testAll, p.targetTestPerClass, p.seed + 2, "coco/test-crops")
    },
    zeroShot,
    retrieval: retrieval.flatMap((r) => r.folds),
    retrievalTasks: retrieval.flatMap((r) => r.folds.map(() => r.task))
  }
}

/** Folds of `size` images (the whole split when it is smaller, as in a tiny fixture). */
const foldsOf = (set: CaptionedImages, size: number, file: string): ReadonlyArray<CaptionedImages> => {
  if (set.size === 0) throw new CocoSourceError({ file, reason: "no images in the Karpathy test split" })
  return set.size <= size ? [set] : folds(set, size)
}
