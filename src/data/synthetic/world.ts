/**
 * The built-in synthetic caption world and the paper's protocol in
 * miniature, from a seed and sizes alone (no files).
 *
 * A *split* is a distribution of scenes, a seed and a size; image `i` is
 * drawn from `(split seed, i)` and rendered on demand, so a split of any size
 * costs no memory and any image can be made on its own. `worldProtocol`
 * arranges splits as the paper's study needs them:
 *
 * - `pretrain`: image-caption pairs on the *seen* backgrounds (all but the
 *   target's), every shape but `heldOutShapes`, with a second object now and
 *   then; several captions per image. Captions withhold the target shapes'
 *   names (they say "shape"; `targetNameRate` names them now and then).
 * - `target`: classification of 8 shapes, on a background pretraining never
 *   shows ("wavy" by default), whose names pretraining never taught: classes
 *   the pretrained model covers badly (zero-shot near chance), learned in
 *   sessions (see `tasks.ts`). A first design that named them reached 98.5%
 *   zero-shot target accuracy in a PyTorch check, leaving nothing to learn.
 * - `zeroShot`: held-out concepts evaluated zero-shot on fresh
 *   pretraining-style images: colour (the headline), size, position,
 *   background and shape; the drop in these after learning the target is the
 *   forgetting the paper measures.
 * - `retrieval`: fresh image-caption pairs (five captions each) for
 *   image-to-text and text-to-image recall.
 *
 * @since 0.1.0
 */
import { DataArgumentError } from "../errors.js"
import { type CaptionedImages, captionedImages, type LabeledImages, labeledImages } from "../ImageSet.js"
import { mix, mulberry32 } from "../../random.js"
import {
  allValues, type Attribute, attributes, type AttributeValues, type Background, backgrounds, type Shape, shapes, type Size, valueName
} from "./attributes.js"
import { captionScene, type Withheld } from "./captions.js"
import { renderScene } from "./render.js"
import { type Scene, type SceneDistribution, sampleScene } from "./scene.js"

/**
 * Options of `syntheticSplit`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyntheticSplitOptions {
  readonly name: string
  /** The world seed; the split's own seed mixes it with `name`. */
  readonly seed: number
  readonly size: number
  /** Side of the square images in pixels (default 32). */
  readonly imageSize?: number
  readonly distribution: SceneDistribution
  /** Captions per image of `captioned()` (default 1). */
  readonly captionsPerImage?: number
  /** Pixel noise amplitude in levels (default 8; 0 for clean images). */
  readonly pixelNoise?: number
  /** Shapes captions mostly leave unnamed (see `Withheld`). */
  readonly withheld?: Withheld
}

/**
 * A generated split: scenes on demand, as captioned or labelled images.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyntheticSplit {
  readonly name: string
  readonly seed: number
  readonly size: number
  readonly imageSize: number
  readonly distribution: SceneDistribution
  /** The scene of image `i`. */
  readonly scene: (i: number) => Scene
  /** Renders images `indices` into one HWC buffer. */
  readonly render: (indices: ArrayLike<number>) => Uint8Array
  /** The split as image-caption pairs (captions made once, on first call). */
  readonly captioned: () => CaptionedImages
  /**
   * The split labelled by one attribute of the main object, or by a
   * combination (classes: every combination of the allowed values, named in
   * the order size, colour, shape, position, background: "small red triangle").
   */
  readonly labeled: (by: Attribute | ReadonlyArray<Attribute>) => LabeledImages
}

const hashName = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const valueOf = (scene: Scene, a: Attribute): string => {
  const o = scene.objects[0]!
  switch (a) {
    case "shape": return o.shape
    case "colour": return o.colour
    case "size": return o.size
    case "position": return o.position
    case "background": return scene.background
  }
}

/**
 * Class names and a label function for labels by attribute(s).
 *
 * @since 0.1.0
 * @category utils
 */
export const attributeClasses = (
  values: AttributeValues,
  by: Attribute | ReadonlyArray<Attribute>
): { readonly classNames: Array<string>; readonly labelOf: (scene: Scene) => number } => {
  const list = typeof by === "string" ? [by] : by
  if (list.length === 0) throw new DataArgumentError({ field: "labeled.by", reason: "needs at least one attribute" })
  const ordered = attributes.filter((a) => list.includes(a))
  const single = ordered.length === 1
  const word = (a: Attribute, v: string) => (a === "background" && !single ? `on a ${v} background` : valueName(a, v))
  let classNames = [""]
  for (const a of ordered) {
    classNames = classNames.flatMap((prefix) => values[a].map((v) => (prefix ? `${prefix} ${word(a, v)}` : word(a, v))))
  }
  const labelOf = (scene: Scene): number => {
    let label = 0
    for (const a of ordered) {
      const vs = values[a] as ReadonlyArray<string>
      const k = vs.indexOf(valueOf(scene, a))
      label = label * vs.length + k
    }
    return label
  }
  return { classNames, labelOf }
}

/**
 * A generated split.
 *
 * @since 0.1.0
 * @category constructors
 */
export const syntheticSplit = (options: SyntheticSplitOptions): SyntheticSplit => {
  const imageSize = options.imageSize ?? 32
  if (!Number.isInteger(imageSize) || imageSize < 8) {
    throw new DataArgumentError({ field: "imageSize", reason: `must be an integer >= 8, got ${imageSize}` })
  }
  if (!Number.isInteger(options.size) || options.size < 0) {
    throw new DataArgumentError({ field: `${options.name}: size`, reason: `must be a non-negative integer, got ${options.size}` })
  }
  for (const a of attributes) {
    if (options.distribution.values[a].length === 0) {
      throw new DataArgumentError({ field: `${options.name}: values.${a}`, reason: "allows no value" })
    }
  }
  const seed = mix(options.seed, hashName(options.name))
  const per = imageSize * imageSize * 3
  const noise = options.pixelNoise ?? 8
  const scene = (i: number) => sampleScene(options.distribution, seed, i, imageSize)
  const render = (indices: ArrayLike<number>) => {
    const out = new Uint8Array(indices.length * per)
    for (let k = 0; k < indices.length; k++) renderScene(scene(indices[k]!), imageSize, out, k * per, noise)
    return out
  }
  const source = {
    name: options.name,
    height: imageSize,
    width: imageSize,
    channels: 3 as const,
    size: options.size,
    readInto: async (indices: ArrayLike<number>, out: Uint8Array) => {
      for (let k = 0; k < indices.length; k++) renderScene(scene(indices[k]!), imageSize, out, k * per, noise)
    }
  }
  let captioned: CaptionedImages | undefined
  return {
    name: options.name,
    seed,
    size: options.size,
    imageSize,
    distribution: options.distribution,
    scene,
    render,
    captioned: () => {
      if (!captioned) {
        const count = options.captionsPerImage ?? 1
        const captions = Array.from({ length: options.size }, (_, i) =>
          captionScene(scene(i), mulberry32(mix(seed, i, 0xca9)), count, options.withheld))
        captioned = captionedImages({ ...source, captions })
      }
      return captioned
    },
    labeled: (by) => {
      const { classNames, labelOf } = attributeClasses(options.distribution.values, by)
      const labels = new Int32Array(options.size)
      for (let i = 0; i < options.size; i++) labels[i] = labelOf(scene(i))
      return labeledImages({ ...source, name: `${options.name}/${typeof by === "string" ? by : by.join("+")}`, classNames, labels })
    }
  }
}

/**
 * Options of `worldProtocol`; every field has a default.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorldOptions {
  readonly seed?: number
  /** Image side in pixels (default 32). */
  readonly imageSize?: number
  /** Pretraining image-caption pairs (default 30000). */
  readonly pretrainSize?: number
  /** Captions per pretraining image (default 3). */
  readonly pretrainCaptions?: number
  /** Held-out retrieval images (default 1000), with `retrievalCaptions` (5) each. */
  readonly retrievalSize?: number
  readonly retrievalCaptions?: number
  /** The target classes (default: the first 8 shapes). */
  readonly targetShapes?: ReadonlyArray<Shape>
  /** Backgrounds of the target task, withheld from pretraining (default ["wavy"]). */
  readonly targetBackgrounds?: ReadonlyArray<Background>
  /**
   * Object sizes in target images (default ["large"]: a small shape is a few
   * pixels at 32 x 32, too little to tell a new class by in a short schedule).
   */
  readonly targetSizes?: ReadonlyArray<Size>
  /** Target images per class (defaults 250 train, 100 test). */
  readonly targetTrainPerClass?: number
  readonly targetTestPerClass?: number
  /** Images per zero-shot task (default 1000). */
  readonly zeroShotSize?: number
  /** Shapes never shown outside the target task (default none). */
  readonly heldOutShapes?: ReadonlyArray<Shape>
  /** Rate of a second object in pretraining and retrieval images (default 0.25). */
  readonly secondObjectRate?: number
  /** Pixel noise amplitude in levels (default 8). */
  readonly pixelNoise?: number
  /**
   * How often a pretraining or retrieval caption names a target shape
   * (default 0: never; the images still show them, called "shape"), so the
   * target classes are not covered by pretraining.
   */
  readonly targetNameRate?: number
}

/**
 * A classification task with its prompts: `templates` hold `{}` where a
 * class name goes.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClassificationTask {
  readonly name: string
  /** The attribute(s) the classes are values (or combinations) of. */
  readonly attributes: ReadonlyArray<Attribute>
  readonly classNames: ReadonlyArray<string>
  readonly templates: ReadonlyArray<string>
  readonly test: LabeledImages
  readonly train?: LabeledImages
}

/**
 * Everything an experiment on the synthetic world needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorldProtocol {
  readonly options: Required<WorldOptions>
  readonly pretrain: CaptionedImages
  readonly retrieval: CaptionedImages
  readonly target: ClassificationTask & { readonly train: LabeledImages }
  /**
   * Held-out concepts, by name: "colour" (`zeroShot[0]`, the headline),
   * "size", "position", "background", "shape" (over the shapes captions name,
   * not the target's; present when there are two or more), and the
   * compositions "size+colour" ("a small red object.") and "colour+position"
   * ("something red on the left.").
   */
  readonly zeroShot: ReadonlyArray<ClassificationTask>
  /** The underlying splits, for scene-level inspection. */
  readonly splits: Readonly<Record<"pretrain" | "retrieval" | "targetTrain" | "targetTest" | "zeroShot" | "zeroShotShape", SyntheticSplit>>
}

/**
 * Prompt templates per attribute, phrased like the captions.
 *
 * @since 0.1.0
 * @category utils
 */
export const worldTemplates: Readonly<Record<Attribute, ReadonlyArray<string>>> = {
  shape: ["a photo of a {}.", "a {}.", "a picture of a {}."],
  colour: ["a {} object.", "a {} shape.", "something {}.", "a photo of something {}."],
  size: ["a {} object.", "a {} shape."],
  position: ["something {}.", "an object {}.", "a shape {}."],
  background: ["a {} background.", "a shape on a {} background."]
}

const defaults: Required<WorldOptions> = {
  seed: 0,
  imageSize: 32,
  pretrainSize: 30000,
  pretrainCaptions: 3,
  retrievalSize: 1000,
  retrievalCaptions: 5,
  targetShapes: shapes.slice(0, 8),
  targetBackgrounds: ["wavy"],
  targetSizes: ["large"],
  targetTrainPerClass: 250,
  targetTestPerClass: 100,
  zeroShotSize: 1000,
  heldOutShapes: [],
  secondObjectRate: 0.25,
  pixelNoise: 8,
  targetNameRate: 0
}

/**
 * The whole protocol from a seed and sizes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const worldProtocol = (options: WorldOptions = {}): WorldProtocol => {
  const o: Required<WorldOptions> = { ...defaults, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) }
  if (o.targetShapes.length < 2) throw new DataArgumentError({ field: "targetShapes", reason: "needs at least two classes" })
  const seenBackgrounds = backgrounds.filter((b) => !o.targetBackgrounds.includes(b))
  if (seenBackgrounds.length === 0) {
    throw new DataArgumentError({ field: "targetBackgrounds", reason: "leaves no background for pretraining" })
  }
  const seenShapes = shapes.filter((s) => !o.heldOutShapes.includes(s))
  const seen: AttributeValues = { ...allValues, shape: seenShapes, background: seenBackgrounds }
  const withheld: Withheld = { shapes: new Set(o.targetShapes), nameRate: o.targetNameRate }
  const split = (name: string, size: number, distribution: SceneDistribution, captionsPerImage?: number) =>
    syntheticSplit({ name, seed: o.seed, size, imageSize: o.imageSize, distribution, captionsPerImage, pixelNoise: o.pixelNoise, withheld })
  const namedShapes = seenShapes.filter((s) => !o.targetShapes.includes(s))
  const targetValues: AttributeValues = { ...allValues, shape: o.targetShapes, background: o.targetBackgrounds, size: o.targetSizes }
  const pretrain = split("pretrain", o.pretrainSize, { values: seen, secondObjectRate: o.secondObjectRate }, o.pretrainCaptions)
  const retrieval = split("retrieval", o.retrievalSize, { values: seen, secondObjectRate: o.secondObjectRate }, o.retrievalCaptions)
  const nT = o.targetShapes.length
  const targetTrain = split("target-train", nT * o.targetTrainPerClass, { values: targetValues, secondObjectRate: 0, balance: "shape" })
  const targetTest = split("target-test", nT * o.targetTestPerClass, { values: targetValues, secondObjectRate: 0, balance: "shape" })
  const zs = split("zero-shot", o.zeroShotSize, { values: seen, secondObjectRate: 0, balance: "colour" })
  const zsShape = split("zero-shot-shape", o.zeroShotSize, { values: { ...seen, shape: namedShapes }, secondObjectRate: 0, balance: "shape" })
  const task = (attribute: Attribute, s: SyntheticSplit): ClassificationTask => {
    const test = s.labeled(attribute)
    return { name: attribute, attributes: [attribute], classNames: test.classNames, templates: worldTemplates[attribute], test }
  }
  // Compositions bind two attributes of one object: harder, and less saturated than colour alone.
  const combo = (attributes: ReadonlyArray<Attribute>, templates: ReadonlyArray<string>): ClassificationTask => {
    const test = zs.labeled(attributes)
    return { name: attributes.join("+"), attributes, classNames: test.classNames, templates, test }
  }
  const targetTest_ = targetTest.labeled("shape")
  return {
    options: o,
    pretrain: pretrain.captioned(),
    retrieval: retrieval.captioned(),
    target: {
      name: "target-shape",
      attributes: ["shape"],
      classNames: targetTest_.classNames,
      templates: worldTemplates.shape,
      train: targetTrain.labeled("shape"),
      test: targetTest_
    },
    zeroShot: [
      ...(["colour", "size", "position", "background"] as const).map((a) => task(a, zs)),
      ...(namedShapes.length >= 2 ? [task("shape", zsShape)] : []),
      combo(["size", "colour"], ["a {} object.", "a {} shape."]),
      combo(["colour", "position"], ["something {}."])
    ],
    splits: { pretrain, retrieval, targetTrain, targetTest, zeroShot: zs, zeroShotShape: zsShape }
  }
}
