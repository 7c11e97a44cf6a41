/**
 * MNIST-style IDX files (LeCun's format; MNIST and Fashion-MNIST ship as an
 * image file `[n, h, w]` and a label file `[n]`, both unsigned bytes, big-
 * endian dimensions after a 4-byte magic `00 00 08 ndim`), gzipped or not.
 *
 * Records are read lazily by offset; only the labels (one byte each) are read
 * when the set opens.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { BadMagic, DataFileMissing, DataFormatError, LabelOutOfRange, TruncatedRecord } from "./errors.js"
import { type LabeledImages, labeledImages, materialize } from "./ImageSet.js"
import { type ByteFile, type Declared, type GunzipOptions, openByteFile, readRecords } from "./internal/records.js"
import { fashionMnistClasses, mnistClasses } from "./catalog.js"

/**
 * Options of `openIdx`.
 *
 * @since 0.1.0
 * @category models
 */
export interface IdxOptions extends GunzipOptions {
  readonly images: string
  readonly labels: string
  /** Names of the classes (default: the digits "0" .. "9"). */
  readonly classNames?: ReadonlyArray<string>
  readonly name?: string
  /** Skip truncated records and out-of-range labels, counting them in `skipped`. */
  readonly skipBad?: boolean
  /** Read every image into memory at open. */
  readonly inMemory?: boolean
}

interface Header {
  readonly dims: ReadonlyArray<number>
  readonly bytes: number
}

const hex = (b: Uint8Array) => `0x${Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, "0")).join("")}`

const readHeader = (f: ByteFile, ndims: ReadonlyArray<number>): Header => {
  const expected = `0x000008${ndims[0]!.toString(16).padStart(2, "0")}`
  if (f.byteLength < 4) throw new TruncatedRecord({ file: f.file, record: -1, expectedBytes: 4, actualBytes: f.byteLength })
  const magic = f.readRanges([{ offset: 0, length: 4 }])[0]!
  if (magic[0] !== 0 || magic[1] !== 0 || magic[2] !== 0x08 || !ndims.includes(magic[3]!)) {
    throw new BadMagic({ file: f.file, expected, actual: hex(magic) })
  }
  const nd = magic[3]!
  const bytes = 4 + 4 * nd
  if (f.byteLength < bytes) {
    throw new DataFormatError({ file: f.file, reason: `header is cut short (${f.byteLength} of ${bytes} bytes)` })
  }
  const raw = f.readRanges([{ offset: 4, length: 4 * nd }])[0]!
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
  return { dims: Array.from({ length: nd }, (_, k) => view.getUint32(4 * k, false)), bytes }
}

/**
 * The size an IDX header declares (header + product of the dimensions), so
 * a gzipped file is inflated no further; a malformed header declares only
 * itself and `readHeader` then names the fault.
 */
const declaredSize: Declared = (head) => {
  if (head.byteLength < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08) return head.byteLength
  const nd = head[3]!
  const bytes = 4 + 4 * nd
  if (nd === 0 || head.byteLength < bytes) return head.byteLength
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength)
  let total = 1
  for (let k = 0; k < nd; k++) total *= view.getUint32(4 + 4 * k, false)
  return bytes + total
}

/** How many whole records a file holds, failing (or skipping) at the first partial one. */
const wholeRecords = (f: ByteFile, h: Header, recordBytes: number, skipBad: boolean): number => {
  const n = h.dims[0]!
  const avail = Math.floor((f.byteLength - h.bytes) / recordBytes)
  if (avail >= n) return n
  if (skipBad) return avail
  throw new TruncatedRecord({
    file: f.file,
    record: avail,
    expectedBytes: recordBytes,
    actualBytes: f.byteLength - h.bytes - avail * recordBytes
  })
}

/**
 * Opens an IDX image file and its label file as a `LabeledImages`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openIdx = async (options: IdxOptions): Promise<LabeledImages> => {
  const skipBad = options.skipBad ?? false
  const classNames = options.classNames ?? mnistClasses
  const imgFile = await openByteFile(options.images, options, declaredSize)
  const lblFile = await openByteFile(options.labels, options, declaredSize)
  const ih = readHeader(imgFile, [3, 4])
  const lh = readHeader(lblFile, [1])
  const [, height, width, ch = 1] = ih.dims as [number, number, number, number?]
  if (ch !== 1 && ch !== 3) {
    throw new DataFormatError({ file: options.images, reason: `images have ${ch} channels; expected 1 or 3` })
  }
  const recordBytes = height! * width! * ch
  const nImages = wholeRecords(imgFile, ih, recordBytes, skipBad)
  const nLabels = wholeRecords(lblFile, lh, 1, skipBad)
  if (ih.dims[0] !== lh.dims[0] && !skipBad) {
    throw new DataFormatError({
      file: options.labels,
      reason: `${lh.dims[0]} labels for ${ih.dims[0]} images in ${options.images}`
    })
  }
  const n = Math.min(nImages, nLabels)
  const rawLabels = lblFile.readRanges([{ offset: lh.bytes, length: n }])[0]!
  const keep: Array<number> = []
  for (let i = 0; i < n; i++) {
    if (rawLabels[i]! < classNames.length) keep.push(i)
    else if (!skipBad) {
      throw new LabelOutOfRange({ file: options.labels, record: i, label: rawLabels[i]!, numClasses: classNames.length })
    }
  }
  const physical = Int32Array.from(keep)
  const declared = Math.max(ih.dims[0]!, lh.dims[0]!)
  const ds = labeledImages({
    name: options.name ?? path.basename(options.images),
    height: height!,
    width: width!,
    channels: ch as 1 | 3,
    size: physical.length,
    skipped: declared - physical.length,
    classNames,
    labels: Int32Array.from(physical, (i) => rawLabels[i]!),
    readInto: async (indices, out) => {
      const phys = Int32Array.from(indices as ArrayLike<number>, (i) => physical[i]!)
      readRecords(imgFile, ih.bytes, recordBytes, phys, (k, buf, off) => {
        out.set(buf.subarray(off, off + recordBytes), k * recordBytes)
      })
    }
  })
  return options.inMemory ? materialize(ds) : ds
}

/**
 * Options of `openMnist`: a folder holding the four standard files
 * (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-...`).
 *
 * @since 0.1.0
 * @category models
 */
export interface MnistOptions extends Omit<IdxOptions, "images" | "labels"> {
  readonly dir: string
  readonly split: "train" | "test"
  /** Which class names to attach (default "fashion-mnist"). */
  readonly variant?: "mnist" | "fashion-mnist"
}

const find = (dir: string, base: string): string => {
  for (const f of [base, `${base}.gz`]) if (fs.existsSync(path.join(dir, f))) return path.join(dir, f)
  throw new DataFileMissing({ file: path.join(dir, `${base}[.gz]`) })
}

/**
 * Opens MNIST or Fashion-MNIST from its standard file names in `dir`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openMnist = async (options: MnistOptions): Promise<LabeledImages> => {
  const prefix = options.split === "train" ? "train" : "t10k"
  const variant = options.variant ?? "fashion-mnist"
  return openIdx({
    ...options,
    name: options.name ?? `${variant}/${options.split}`,
    classNames: options.classNames ?? (variant === "mnist" ? mnistClasses : fashionMnistClasses),
    images: find(options.dir, `${prefix}-images-idx3-ubyte`),
    labels: find(options.dir, `${prefix}-labels-idx1-ubyte`)
  })
}
