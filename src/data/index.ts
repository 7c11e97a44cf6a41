/**
 * Data sets and task sequences: readers for the synthetic caption world,
 * IDX (MNIST, Fashion-MNIST), CIFAR, image folders and COCO, all returning
 * the one model of `ImageSet.ts`, and class-incremental / data-set
 * sequences over them.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export * from "./ImageSet.js"
export { mix, mulberry32, permutation, type Rng } from "../random.js"
export * from "./catalog.js"
export { type IdxOptions, type MnistOptions, openIdx, openMnist } from "./idx.js"
export { type CifarOptions, openCifar } from "./cifar.js"
export { type ImageFolderOptions, openImageFolder } from "./folder.js"
export { folderClasses, naturalCompare } from "./folderNames.js"
export { type LabelsFileOptions, type LabelsRow, openLabelsFile, readLabelsFile } from "./labelsFile.js"
export {
  type CaptionOptions, type CocoCropsOptions, cocoCategories, openCocoCaptions, openCocoCrops, openKarpathy
} from "./coco.js"
export type { Gunzip, GunzipOptions } from "./internal/records.js"
export * from "./tasks.js"
export * from "./synthetic/attributes.js"
export { type Scene, type SceneDistribution, type SceneObject, sampleScene, radiusRange } from "./synthetic/scene.js"
export { type ShapeMask, probePoint, renderScene, shapeMask } from "./synthetic/render.js"
export { captionScene, phrasings, type Withheld } from "./synthetic/captions.js"
export * from "./synthetic/world.js"
