/**
 * Image folders: one sub-folder per class, images inside (JPEG, PNG, ...),
 * as EuroSAT ships. Classes are the sub-folder names and files are taken in
 * natural order ("img2" before "img10", locale-free), so a split is the same
 * on every machine. Images decode on demand and are resized (cover) to one
 * size.
 *
 * The paper's EuroSAT protocol holds out the last 500 images of each class
 * for testing: `holdOut: { last: 500, part: "test" }` is that test set and
 * `part: "train"` the rest.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import { DataFormatError, ImageDecodeError } from "./errors.js"
import { folderClasses, listDir, naturalCompare } from "./folderNames.js"
import { type LabeledImages, labeledImages, materialize } from "./ImageSet.js"
import { decodeResized, imageSize } from "../formats/image.js"
import { mapLimit } from "./internal/files.js"

/**
 * Options of `openImageFolder`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageFolderOptions {
  readonly root: string
  /** Output size; a number means square. Default: the first image's size (with `skipBad`, the first that decodes). */
  readonly size?: number | { readonly height: number; readonly width: number }
  /** Deterministic split: the last `last` files of each class form the "test" part. */
  readonly holdOut?: { readonly last: number; readonly part: "train" | "test" }
  /** File extensions to take (lower case, with the dot). */
  readonly extensions?: ReadonlyArray<string>
  /** Replace the folder names (same order) with these class names. */
  readonly classNames?: ReadonlyArray<string>
  readonly name?: string
  /** Decode every image at open and drop those that fail, counting them. */
  readonly skipBad?: boolean
  /** Images decoded at once (default 8). */
  readonly concurrency?: number
  readonly inMemory?: boolean
}

const defaultExtensions = [".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"]

/** The size of the first image that decodes (skipBad: a corrupt first image does not decide the size). */
const firstDecodable = async (files: ReadonlyArray<string>, root: string): Promise<{ height: number; width: number }> => {
  for (const [i, f] of files.entries()) {
    try {
      const size = await imageSize(f, i)
      await decodeResized(f, i, size.height, size.width)
      return size
    } catch (e) {
      if (!(e instanceof ImageDecodeError)) throw e
    }
  }
  throw new DataFormatError({ file: root, reason: `none of its ${files.length} images decodes` })
}

/**
 * Opens a class-per-folder image tree as a `LabeledImages` (RGB).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openImageFolder = async (options: ImageFolderOptions): Promise<LabeledImages> => {
  const exts = options.extensions ?? defaultExtensions
  const folders = folderClasses(options.root)
  if (folders.length === 0) throw new DataFormatError({ file: options.root, reason: "no class folders" })
  if (options.classNames && options.classNames.length !== folders.length) {
    throw new DataFormatError({
      file: options.root,
      reason: `${options.classNames.length} class names for ${folders.length} class folders`
    })
  }
  const files: Array<string> = []
  const labels: Array<number> = []
  folders.forEach((folder, label) => {
    const dir = path.join(options.root, folder)
    const all = listDir(dir)
      .filter((d) => d.isFile() && exts.includes(path.extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort(naturalCompare)
    if (all.length === 0) throw new DataFormatError({ file: dir, reason: "class folder holds no images" })
    const k = options.holdOut?.last ?? 0
    if (options.holdOut && all.length <= k) {
      throw new DataFormatError({ file: dir, reason: `${all.length} images; cannot hold out the last ${k} and keep a training part` })
    }
    const taken = !options.holdOut ? all : options.holdOut.part === "test" ? all.slice(all.length - k) : all.slice(0, all.length - k)
    for (const f of taken) {
      files.push(path.join(dir, f))
      labels.push(label)
    }
  })
  const concurrency = options.concurrency ?? 8
  let skipped = 0
  let keep = files.map((_, i) => i)
  let height: number
  let width: number
  if (typeof options.size === "number") height = width = options.size
  else if (options.size) ({ height, width } = options.size)
  else ({ height, width } = options.skipBad ? await firstDecodable(files, options.root) : await imageSize(files[0]!, 0))
  if (options.skipBad) {
    const ok = await mapLimit(files, concurrency, (f, i) =>
      decodeResized(f, i, height, width).then(() => true, (e) => {
        if (e instanceof ImageDecodeError) return false
        throw e
      }))
    keep = keep.filter((i) => ok[i])
    skipped = files.length - keep.length
  }
  const kept = keep.map((i) => files[i]!)
  const per = height * width * 3
  const ds = labeledImages({
    name: options.name ?? (options.holdOut ? `${path.basename(options.root)}/${options.holdOut.part}` : path.basename(options.root)),
    height,
    width,
    channels: 3,
    size: kept.length,
    skipped,
    classNames: options.classNames ?? folders,
    labels: Int32Array.from(keep, (i) => labels[i]!),
    readInto: async (indices, out) => {
      await mapLimit(Array.from(indices), concurrency, async (i, k) => {
        out.set(await decodeResized(kept[i]!, i, height, width), k * per)
      })
    }
  })
  return options.inMemory ? materialize(ds) : ds
}
