/**
 * An image folder described by a labels file: a CSV with a header naming the
 * columns `file` (relative to the labels file's folder, or to `images`),
 * `label` (a class name) and, optionally, `split` (e.g. `train` / `test`).
 * Blank lines and lines starting with `#` are skipped; fields are separated
 * by commas and trimmed (no quoting: names with commas do not fit).
 *
 * Classes are those of every row, whatever the split, in natural order (or
 * the order `classNames` gives), so the train and test parts of one file
 * share labels. Images decode on demand to RGB and are resized (cover) to
 * one size.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileMissing, DataFormatError } from "./errors.js"
import { naturalCompare } from "./folderNames.js"
import { type LabeledImages, labeledImages, materialize } from "./ImageSet.js"
import { decodeResized, imageSize } from "../formats/image.js"
import { mapLimit } from "./internal/files.js"

/**
 * Options of `openLabelsFile`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabelsFileOptions {
  /** The CSV file. */
  readonly file: string
  /** Folder the `file` column is relative to (default: the labels file's folder). */
  readonly images?: string
  /** Keep only the rows of this split (the file must have a `split` column). */
  readonly split?: string
  /** Output size; a number means square. Default: the first image's size. */
  readonly size?: number | { readonly height: number; readonly width: number }
  /** The classes in label order; every row's label must be one of them. */
  readonly classNames?: ReadonlyArray<string>
  readonly name?: string
  /** Images decoded at once (default 8). */
  readonly concurrency?: number
  readonly inMemory?: boolean
}

/**
 * One row of a labels file.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabelsRow {
  readonly line: number
  readonly file: string
  readonly label: string
  readonly split: string | undefined
}

/**
 * The rows of a labels file, checked (header, column count, empty fields).
 *
 * @since 0.1.0
 * @category utils
 */
export const readLabelsFile = (file: string): ReadonlyArray<LabelsRow> => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (cause) {
    throw new DataFileMissing({ file, cause })
  }
  const lines = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, text: l.trim() })).filter((l) => l.text !== "" && !l.text.startsWith("#"))
  const head = lines.shift()
  if (head === undefined) throw new DataFormatError({ file, reason: "empty (expected a header line: file,label[,split])" })
  const columns = head.text.split(",").map((c) => c.trim())
  const at = (name: string) => columns.indexOf(name)
  if (at("file") < 0 || at("label") < 0) {
    throw new DataFormatError({ file, reason: `line ${head.line}: the header names columns ${columns.join(", ")}; expected file, label and optionally split` })
  }
  return lines.map(({ line, text: row }) => {
    const fields = row.split(",").map((f) => f.trim())
    if (fields.length !== columns.length) throw new DataFormatError({ file, reason: `line ${line}: ${fields.length} fields, the header names ${columns.length}` })
    const empty = columns.find((c, k) => fields[k] === "" && c !== "split")
    if (empty !== undefined) throw new DataFormatError({ file, reason: `line ${line}: empty ${empty}` })
    const split = at("split") < 0 ? undefined : fields[at("split")]!
    return { line, file: fields[at("file")]!, label: fields[at("label")]!, split: split === "" ? undefined : split }
  })
}

/**
 * Opens the images a labels file lists (one split of them, when asked) as a
 * `LabeledImages` (RGB).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openLabelsFile = async (options: LabelsFileOptions): Promise<LabeledImages> => {
  const { file } = options
  const rows = readLabelsFile(file)
  if (rows.length === 0) throw new DataFormatError({ file, reason: "lists no image" })
  const classNames = options.classNames ?? [...new Set(rows.map((r) => r.label))].sort(naturalCompare)
  const index = new Map(classNames.map((c, i) => [c, i]))
  const unknown = rows.find((r) => !index.has(r.label))
  if (unknown !== undefined) {
    throw new DataFormatError({ file, reason: `line ${unknown.line}: label "${unknown.label}" is not one of the classes ${classNames.join(", ")}` })
  }
  if (options.split !== undefined && rows.every((r) => r.split === undefined)) {
    throw new DataFormatError({ file, reason: `has no split column; cannot take split "${options.split}"` })
  }
  const taken = options.split === undefined ? rows : rows.filter((r) => r.split === options.split)
  if (taken.length === 0) throw new DataFormatError({ file, reason: `no row of split "${options.split}"` })
  const dir = options.images ?? path.dirname(file)
  const files = taken.map((r) => path.resolve(dir, r.file))
  files.forEach((f, i) => {
    if (!fs.existsSync(f)) throw new DataFormatError({ file, reason: `line ${taken[i]!.line}: image ${f} not found` })
  })
  let height: number
  let width: number
  if (typeof options.size === "number") height = width = options.size
  else if (options.size) ({ height, width } = options.size)
  else ({ height, width } = await imageSize(files[0]!, 0))
  const concurrency = options.concurrency ?? 8
  const per = height * width * 3
  const ds = labeledImages({
    name: options.name ?? (options.split === undefined ? path.basename(file) : `${path.basename(file)}/${options.split}`),
    height,
    width,
    channels: 3,
    size: files.length,
    classNames,
    labels: Int32Array.from(taken, (r) => index.get(r.label)!),
    readInto: async (indices, out) => {
      await mapLimit(Array.from(indices), concurrency, async (i, k) => {
        out.set(await decodeResized(files[i]!, i, height, width), k * per)
      })
    }
  })
  return options.inMemory ? materialize(ds) : ds
}
