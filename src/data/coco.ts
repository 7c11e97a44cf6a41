/**
 * COCO for the paper's protocol: object crops as the target task and
 * image-caption pairs for retrieval.
 *
 * - `openCocoCrops`: every box of `instances_*.json` wider *and* taller than
 *   `minBoxSize` (4 px) becomes one labelled crop; the 80 categories, sorted
 *   by COCO id, get contiguous labels 0..79 and their COCO names.
 * - `openCocoCaptions`: images of `captions_*.json` with all their captions.
 * - `openKarpathy`: the Karpathy split file (`dataset_coco.json`,
 *   `dataset_flickr30k.json`): `images[].split`, `filepath`, `filename`,
 *   `sentences[].raw`. COCO's 5k test is `folds(set, 1000)` (five folds of
 *   1k); Flickr30K's test split is 1k images.
 *
 * Annotation files are read as a stream keeping only the fields used
 * (`internal/jsonStream.ts`): `instances_train2014.json` (about 450 MB, most
 * of it segmentation polygons) needs a few hundred MB of heap, not the
 * several GB of `JSON.parse`. Pixels are decoded on demand, with a small
 * cache of decoded images so consecutive crops of one image decode it once.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileMissing, DataFormatError, ImageDecodeError, LabelOutOfRange } from "./errors.js"
import { type CaptionedImages, captionedImages, type LabeledImages, labeledImages, materialize } from "./ImageSet.js"
import { type ArrayPick, streamJsonArrays } from "./internal/jsonStream.js"
import { type Box, cropResized, decodeImage, decodeResized, type RawImage } from "../formats/image.js"
import { mapLimit } from "./internal/files.js"

/** Fails unless the streamed file had every named top-level array. */
const requireArrays = (file: string, found: ReadonlySet<string>, fields: ReadonlyArray<string>): void => {
  for (const f of fields) if (!found.has(f)) throw new DataFormatError({ file, reason: `field "${f}" is missing or not an array` })
}

const num = (file: string, rec: Record<string, unknown>, field: string, record: number, where: string): number => {
  const v = rec[field]
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new DataFormatError({ file, record, reason: `${where}.${field} is not a number` })
  }
  return v
}

const str = (file: string, rec: Record<string, unknown>, field: string, record: number, where: string): string => {
  const v = rec[field]
  if (typeof v !== "string") throw new DataFormatError({ file, record, reason: `${where}.${field} is not a string` })
  return v
}

/** A stream pick of `images[]`: COCO image id to file path. */
const imageFiles = (file: string, dir: string, out: Map<number, string>): ArrayPick => ({
  fields: ["id", "file_name"],
  each: (im, k) => void out.set(num(file, im, "id", k, "images[]"), path.join(dir, str(file, im, "file_name", k, "images[]")))
})

/** A stream pick of `categories[]`. */
const categories = (file: string, out: Array<{ readonly id: number; readonly name: string }>): ArrayPick => ({
  fields: ["id", "name"],
  each: (c, k) => void out.push({ id: num(file, c, "id", k, "categories[]"), name: str(file, c, "name", k, "categories[]") })
})

/** Decoded full images, shared by the crops cut from them (LRU, in-flight deduped). */
const imageCache = (capacity: number) => {
  const cache = new Map<string, Promise<RawImage>>()
  return (file: string, record: number): Promise<RawImage> => {
    const hit = cache.get(file)
    if (hit) {
      cache.delete(file)
      cache.set(file, hit)
      return hit
    }
    if (!fs.existsSync(file)) return Promise.reject(new DataFileMissing({ file }))
    const p = decodeImage(file, record)
    p.catch(() => cache.delete(file))
    cache.set(file, p)
    while (cache.size > capacity) cache.delete(cache.keys().next().value!)
    return p
  }
}

const sizeOf = (size: number | undefined) => size ?? 224

/**
 * Options of `openCocoCrops`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CocoCropsOptions {
  /** `instances_*.json`. */
  readonly annotations: string
  /** The folder holding the images (`file_name` is relative to it). */
  readonly images: string
  /** Square crop size in pixels (default 224). */
  readonly size?: number
  /** Boxes must be wider and taller than this (default 4 px). */
  readonly minBoxSize?: number
  /** Drop `iscrowd` boxes (default false: the paper filters by size only). */
  readonly excludeCrowd?: boolean
  /** Decode every image at open and drop crops of those that fail, counting them. */
  readonly skipBad?: boolean
  readonly name?: string
  readonly concurrency?: number
  readonly inMemory?: boolean
}

/**
 * COCO's category names in label order (sorted by COCO id), from an
 * instances file.
 *
 * @since 0.1.0
 * @category utils
 */
export const cocoCategories = (annotations: string): Array<{ readonly id: number; readonly name: string }> => {
  const cats: Array<{ readonly id: number; readonly name: string }> = []
  requireArrays(annotations, streamJsonArrays(annotations, { categories: categories(annotations, cats) }), ["categories"])
  return cats.sort((a, b) => a.id - b.id)
}

/**
 * Opens the object crops of a COCO instances file as a `LabeledImages`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openCocoCrops = async (options: CocoCropsOptions): Promise<LabeledImages> => {
  const file = options.annotations
  const min = options.minBoxSize ?? 4
  const files = new Map<number, string>()
  const cats: Array<{ readonly id: number; readonly name: string }> = []
  // Categories come last in COCO's files: boxes are checked against them after the stream.
  type Box0 = { readonly ann: number; readonly imageId: number; readonly annId: number; readonly box: Box; readonly catId: number }
  const boxes: Array<Box0> = []
  const found = streamJsonArrays(file, {
    images: imageFiles(file, options.images, files),
    categories: categories(file, cats),
    annotations: {
      fields: ["bbox", "iscrowd", "image_id", "category_id", "id"],
      each: (a, k) => {
        const bbox = a["bbox"]
        if (!Array.isArray(bbox) || bbox.length !== 4 || bbox.some((x) => typeof x !== "number")) {
          throw new DataFormatError({ file, record: k, reason: "annotations[].bbox is not [x, y, w, h]" })
        }
        const [x, y, w, h] = bbox as [number, number, number, number]
        if (!(w > min && h > min)) return
        if (options.excludeCrowd && a["iscrowd"] === 1) return
        const imageId = num(file, a, "image_id", k, "annotations[]")
        const catId = num(file, a, "category_id", k, "annotations[]")
        boxes.push({ ann: k, imageId, annId: typeof a["id"] === "number" ? a["id"] : k, box: { left: x, top: y, width: w, height: h }, catId })
      }
    }
  })
  requireArrays(file, found, ["images", "annotations", "categories"])
  cats.sort((a, b) => a.id - b.id)
  const labelOf = new Map(cats.map((c, k) => [c.id, k]))
  type Crop = { readonly ann: number; readonly imageId: number; readonly annId: number; readonly box: Box; readonly label: number }
  const crops: Array<Crop> = []
  for (const b of boxes) {
    const label = labelOf.get(b.catId)
    if (label === undefined) throw new LabelOutOfRange({ file, record: b.ann, label: b.catId, numClasses: cats.length })
    if (!files.has(b.imageId)) throw new DataFormatError({ file, record: b.ann, reason: `image_id ${b.imageId} is not in images[]` })
    crops.push({ ann: b.ann, imageId: b.imageId, annId: b.annId, box: b.box, label })
  }
  crops.sort((a, b) => a.imageId - b.imageId || a.annId - b.annId)
  const size = sizeOf(options.size)
  const concurrency = options.concurrency ?? 8
  const decode = imageCache(Math.max(8, concurrency))
  let kept = crops
  let skipped = 0
  if (options.skipBad) {
    const ids = [...new Set(crops.map((c) => c.imageId))]
    const ok = await mapLimit(ids, concurrency, (id) =>
      decodeImage(files.get(id)!, -1).then(() => true, (e) => {
        if (e instanceof ImageDecodeError) return false
        throw e
      }))
    const bad = new Set(ids.filter((_, k) => !ok[k]))
    kept = crops.filter((c) => !bad.has(c.imageId))
    skipped = crops.length - kept.length
  }
  const per = size * size * 3
  const ds = labeledImages({
    name: options.name ?? `coco-crops/${path.basename(file, ".json")}`,
    height: size,
    width: size,
    channels: 3,
    size: kept.length,
    skipped,
    classNames: cats.map((c) => c.name),
    labels: Int32Array.from(kept, (c) => c.label),
    readInto: async (indices, out) => {
      await mapLimit(Array.from(indices), concurrency, async (i, k) => {
        const c = kept[i]!
        const f = files.get(c.imageId)!
        out.set(await cropResized(await decode(f, i), c.box, f, i, size, size), k * per)
      })
    }
  })
  return options.inMemory ? materialize(ds) : ds
}

/**
 * Options shared by the caption readers.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptionOptions {
  /** Folder the image paths are relative to. */
  readonly images: string
  /** Square output size (default 224). */
  readonly size?: number
  readonly name?: string
  readonly concurrency?: number
  readonly inMemory?: boolean
}

const captionSet = async (
  name: string,
  files: ReadonlyArray<string>,
  captions: ReadonlyArray<ReadonlyArray<string>>,
  options: CaptionOptions
): Promise<CaptionedImages> => {
  const size = sizeOf(options.size)
  const per = size * size * 3
  const ds = captionedImages({
    name,
    height: size,
    width: size,
    channels: 3,
    size: files.length,
    captions,
    readInto: async (indices, out) => {
      await mapLimit(Array.from(indices), options.concurrency ?? 8, async (i, k) => {
        const f = files[i]!
        if (!fs.existsSync(f)) throw new DataFileMissing({ file: f })
        out.set(await decodeResized(f, i, size, size), k * per)
      })
    }
  })
  return options.inMemory ? materialize(ds) : ds
}

/**
 * Opens a COCO `captions_*.json` as a `CaptionedImages`: images in id order
 * (those with at least one caption), captions in annotation order.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openCocoCaptions = async (options: CaptionOptions & { readonly annotations: string }): Promise<CaptionedImages> => {
  const file = options.annotations
  const files = new Map<number, string>()
  const captions: Array<{ readonly k: number; readonly imageId: number; readonly id: number; readonly text: string }> = []
  const found = streamJsonArrays(file, {
    images: imageFiles(file, options.images, files),
    annotations: {
      fields: ["image_id", "id", "caption"],
      each: (a, k) =>
        void captions.push({ k, imageId: num(file, a, "image_id", k, "annotations[]"), id: typeof a["id"] === "number" ? a["id"] : k, text: str(file, a, "caption", k, "annotations[]").trim() })
    }
  })
  requireArrays(file, found, ["images", "annotations"])
  const byImage = new Map<number, Array<{ id: number; text: string }>>()
  for (const c of captions) {
    if (!files.has(c.imageId)) throw new DataFormatError({ file, record: c.k, reason: `image_id ${c.imageId} is not in images[]` })
    const list = byImage.get(c.imageId) ?? []
    list.push({ id: c.id, text: c.text })
    byImage.set(c.imageId, list)
  }
  const ids = [...byImage.keys()].sort((a, b) => a - b)
  return captionSet(
    options.name ?? `coco-captions/${path.basename(file, ".json")}`,
    ids.map((id) => files.get(id)!),
    ids.map((id) => byImage.get(id)!.sort((a, b) => a.id - b.id).map((c) => c.text)),
    options
  )
}

/**
 * Opens one split of a Karpathy split file as a `CaptionedImages`, in file
 * order. `split` may list several ("train" and "restval" make Karpathy's
 * full training set).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openKarpathy = async (
  options: CaptionOptions & {
    readonly file: string
    readonly split: "train" | "val" | "test" | "restval" | ReadonlyArray<string>
  }
): Promise<CaptionedImages> => {
  const file = options.file
  const splits = new Set(typeof options.split === "string" ? [options.split] : options.split)
  const files: Array<string> = []
  const caps: Array<Array<string>> = []
  const found = streamJsonArrays(file, {
    images: {
      fields: ["split", "filepath", "filename", "sentences"],
      each: (im, k) => {
        if (!splits.has(str(file, im, "split", k, "images[]"))) return
        const sentences = im["sentences"]
        if (!Array.isArray(sentences) || sentences.length === 0) {
          throw new DataFormatError({ file, record: k, reason: "images[].sentences is missing or empty" })
        }
        const fp = typeof im["filepath"] === "string" ? im["filepath"] : ""
        files.push(path.join(options.images, fp, str(file, im, "filename", k, "images[]")))
        caps.push(sentences.map((s, j) => str(file, s as Record<string, unknown>, "raw", k, `images[].sentences[${j}]`).trim()))
      }
    }
  })
  requireArrays(file, found, ["images"])
  return captionSet(options.name ?? `${path.basename(file, ".json")}/${[...splits].join("+")}`, files, caps, options)
}
