/**
 * CIFAR-10 / CIFAR-100 in their binary distribution (`cifar-10-batches-bin`:
 * `data_batch_1..5.bin`, `test_batch.bin`, `batches.meta.txt`;
 * `cifar-100-binary`: `train.bin`, `test.bin`, `coarse_label_names.txt`,
 * `fine_label_names.txt`). A record is the label byte(s) (CIFAR-100: coarse
 * then fine) and 3072 bytes of 32 x 32 pixels stored as three planes (R, G,
 * B), which the reader interleaves to HWC.
 *
 * Records are read by offset; opening reads the files once in chunks to
 * collect the labels.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DataFileMissing, LabelOutOfRange, TruncatedRecord } from "./errors.js"
import { type LabeledImages, labeledImages, materialize } from "./ImageSet.js"
import { type ByteFile, openByteFile, readRecords } from "./internal/records.js"
import { cifar10Classes } from "./catalog.js"

/**
 * Options of `openCifar`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CifarOptions {
  /** The folder holding the `.bin` files (and the names files). */
  readonly dir: string
  readonly variant: "cifar10" | "cifar100"
  readonly split: "train" | "test"
  /** CIFAR-100 only: which label to use (default "fine"). */
  readonly label?: "fine" | "coarse"
  /** Override the file list (names relative to `dir`). */
  readonly files?: ReadonlyArray<string>
  /** Override the class names (e.g. CLIP's prompt spellings). */
  readonly classNames?: ReadonlyArray<string>
  readonly name?: string
  /** Skip a truncated final record and out-of-range labels, counting them. */
  readonly skipBad?: boolean
  readonly inMemory?: boolean
}

const PIXELS = 32 * 32
const IMAGE_BYTES = 3 * PIXELS

const readNames = (file: string): Array<string> | undefined =>
  fs.existsSync(file)
    ? fs.readFileSync(file, "utf8").split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0)
    : undefined

const namesFor = (o: CifarOptions): ReadonlyArray<string> => {
  if (o.classNames) return o.classNames
  if (o.variant === "cifar10") return readNames(path.join(o.dir, "batches.meta.txt")) ?? cifar10Classes
  const file = path.join(o.dir, o.label === "coarse" ? "coarse_label_names.txt" : "fine_label_names.txt")
  const names = readNames(file)
  if (!names) throw new DataFileMissing({ file })
  return names
}

/**
 * Opens a CIFAR split as a `LabeledImages` (32 x 32 x 3).
 *
 * @since 0.1.0
 * @category constructors
 */
export const openCifar = async (options: CifarOptions): Promise<LabeledImages> => {
  const skipBad = options.skipBad ?? false
  const files = options.files ??
    (options.variant === "cifar10"
      ? options.split === "train"
        ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`)
        : ["test_batch.bin"]
      : [`${options.split}.bin`])
  const labelBytes = options.variant === "cifar10" ? 1 : 2
  const labelAt = options.variant === "cifar10" || options.label === "coarse" ? 0 : 1
  const recordBytes = labelBytes + IMAGE_BYTES
  const classNames = namesFor(options)

  const opened: Array<ByteFile> = []
  for (const f of files) opened.push(await openByteFile(path.join(options.dir, f)))
  const fileOf: Array<number> = []
  const recordOf: Array<number> = []
  const labels: Array<number> = []
  let skipped = 0
  opened.forEach((bf, fi) => {
    const whole = Math.floor(bf.byteLength / recordBytes)
    const tail = bf.byteLength - whole * recordBytes
    if (tail > 0) {
      if (!skipBad) throw new TruncatedRecord({ file: bf.file, record: whole, expectedBytes: recordBytes, actualBytes: tail })
      skipped++
    }
    const CHUNK = 4096
    for (let start = 0; start < whole; start += CHUNK) {
      const count = Math.min(CHUNK, whole - start)
      const buf = bf.readRanges([{ offset: start * recordBytes, length: count * recordBytes }])[0]!
      for (let r = 0; r < count; r++) {
        const label = buf[r * recordBytes + labelAt]!
        if (label >= classNames.length) {
          if (!skipBad) throw new LabelOutOfRange({ file: bf.file, record: start + r, label, numClasses: classNames.length })
          skipped++
          continue
        }
        fileOf.push(fi)
        recordOf.push(start + r)
        labels.push(label)
      }
    }
  })

  const ds = labeledImages({
    name: options.name ?? `${options.variant}/${options.split}`,
    height: 32,
    width: 32,
    channels: 3,
    size: labels.length,
    skipped,
    classNames,
    labels: Int32Array.from(labels),
    readInto: async (indices, out) => {
      // Group the request by file, then interleave planes into HWC.
      const byFile = new Map<number, Array<number>>()
      for (let k = 0; k < indices.length; k++) {
        const fi = fileOf[indices[k]!]!
        const ks = byFile.get(fi) ?? []
        ks.push(k)
        byFile.set(fi, ks)
      }
      for (const [fi, ks] of byFile) {
        const recs = ks.map((k) => recordOf[indices[k]!]!)
        readRecords(opened[fi]!, 0, recordBytes, recs, (j, buf, off) => {
          const base = ks[j]! * IMAGE_BYTES
          const src = off + labelBytes
          for (let p = 0; p < PIXELS; p++) {
            out[base + 3 * p] = buf[src + p]!
            out[base + 3 * p + 1] = buf[src + PIXELS + p]!
            out[base + 3 * p + 2] = buf[src + 2 * PIXELS + p]!
          }
        })
      }
    }
  })
  return options.inMemory ? materialize(ds) : ds
}
