/**
 * The one small data model every reader returns and every stage consumes.
 *
 * An image set is a fixed number of same-shape raw images, stored HWC
 * (row-major height x width x channels, `Uint8`, 0..255). Images are *read on
 * demand*: a reader only keeps what it needs to find a record (offsets, file
 * names, boxes, labels) and reads pixels when a batch asks for them, so a set
 * larger than memory works. `materialize` copies a small set into memory once.
 *
 * Raw pixels stop here: normalisation to model input is CLIP preprocessing's
 * job (`src/clip/preprocess*`).
 *
 * Two kinds: `LabeledImages` (one class label per image: classification,
 * target tasks, zero-shot evaluation) and `CaptionedImages` (several captions
 * per image: pretraining and retrieval).
 *
 * @since 0.1.0
 */
import { DataArgumentError } from "./errors.js"
import { permutation } from "../random.js"

/**
 * How `batches` walks a set. A shuffled walk is a permutation drawn from
 * `seed` (pass `seed + epoch` for a new order each epoch); `dropLast` drops a
 * final batch smaller than `batchSize`; `prefetch` (default true) reads the
 * next batch while the caller works on the current one.
 *
 * @since 0.1.0
 * @category models
 */
export interface BatchOptions {
  readonly shuffle?: boolean
  readonly seed?: number
  readonly dropLast?: boolean
  readonly prefetch?: boolean
}

/**
 * What both kinds share: shape, size, and a bulk read of raw pixels.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageSet {
  readonly name: string
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly size: number
  /** Records dropped when opened with `skipBad: true` (0 otherwise). */
  readonly skipped: number
  /** The images at `indices`, concatenated: `indices.length * h * w * c` bytes, HWC. */
  readonly read: (indices: ArrayLike<number>) => Promise<Uint8Array>
}

/**
 * A batch of labelled images; `indices` are positions in the set.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabeledBatch {
  readonly images: Uint8Array
  readonly labels: Int32Array
  readonly indices: Int32Array
}

/**
 * Images with one class label each; `labels[i]` indexes `classNames`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabeledImages extends ImageSet {
  readonly kind: "labeled"
  readonly classNames: ReadonlyArray<string>
  readonly labels: Int32Array
  readonly batches: (batchSize: number, options?: BatchOptions) => AsyncIterable<LabeledBatch>
  readonly get: (index: number) => Promise<{ readonly image: Uint8Array; readonly label: number; readonly index: number }>
}

/**
 * A batch of captioned images; `captions[k]` belongs to `indices[k]`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptionedBatch {
  readonly images: Uint8Array
  readonly indices: Int32Array
  readonly captions: ReadonlyArray<ReadonlyArray<string>>
}

/**
 * Images with one or more captions each (COCO has five, the synthetic world
 * as many as asked for).
 *
 * @since 0.1.0
 * @category models
 */
export interface CaptionedImages extends ImageSet {
  readonly kind: "captioned"
  readonly captions: ReadonlyArray<ReadonlyArray<string>>
  readonly batches: (batchSize: number, options?: BatchOptions) => AsyncIterable<CaptionedBatch>
  readonly get: (index: number) => Promise<{ readonly image: Uint8Array; readonly captions: ReadonlyArray<string>; readonly index: number }>
}

/**
 * What a reader supplies; the constructors add batching and bounds checks.
 *
 * @since 0.1.0
 * @category models
 */
export interface ImageSource {
  readonly name: string
  readonly height: number
  readonly width: number
  readonly channels: 1 | 3
  readonly size: number
  readonly skipped?: number
  /** Reads valid indices (already checked) into `out` at `k * h * w * c`. */
  readonly readInto: (indices: ArrayLike<number>, out: Uint8Array) => Promise<void>
}

const checkIndices = (name: string, size: number, indices: ArrayLike<number>) => {
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!
    if (!Number.isInteger(i) || i < 0 || i >= size) {
      throw new DataArgumentError({ field: `${name}: index`, reason: `${i} is outside [0, ${size})` })
    }
  }
}

const makeRead = (src: ImageSource) => async (indices: ArrayLike<number>): Promise<Uint8Array> => {
  checkIndices(src.name, src.size, indices)
  const out = new Uint8Array(indices.length * src.height * src.width * src.channels)
  if (indices.length > 0) await src.readInto(indices, out)
  return out
}

/**
 * The order and slicing of a walk over `size` records, shared by both kinds.
 *
 * @since 0.1.0
 * @category utils
 */
export async function* walk<B>(
  name: string,
  size: number,
  batchSize: number,
  options: BatchOptions | undefined,
  load: (indices: Int32Array) => Promise<B>
): AsyncGenerator<B> {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new DataArgumentError({ field: `${name}: batchSize`, reason: `must be a positive integer, got ${batchSize}` })
  }
  const order = options?.shuffle ? permutation(size, options.seed ?? 0) : null
  const end = options?.dropLast ? Math.floor(size / batchSize) * batchSize : size
  const slice = (start: number): Int32Array => {
    const stop = Math.min(start + batchSize, end)
    if (order) return order.slice(start, stop)
    const idx = new Int32Array(stop - start)
    for (let k = 0; k < idx.length; k++) idx[k] = start + k
    return idx
  }
  const prefetch = options?.prefetch ?? true
  let pending: Promise<B> | undefined
  for (let start = 0; start < end; start += batchSize) {
    const current = pending ?? load(slice(start))
    pending = undefined
    if (prefetch && start + batchSize < end) {
      pending = load(slice(start + batchSize))
      // Awaited on the next turn; silence the rejection until then.
      pending.catch(() => undefined)
    }
    yield await current
  }
}

/**
 * Builds a `LabeledImages` from a source and its labels.
 *
 * @since 0.1.0
 * @category constructors
 */
export const labeledImages = (
  src: ImageSource & { readonly classNames: ReadonlyArray<string>; readonly labels: Int32Array }
): LabeledImages => {
  if (src.labels.length !== src.size) {
    throw new DataArgumentError({ field: `${src.name}: labels`, reason: `${src.labels.length} labels for ${src.size} images` })
  }
  const read = makeRead(src)
  const labels = src.labels
  return {
    kind: "labeled",
    name: src.name,
    height: src.height,
    width: src.width,
    channels: src.channels,
    size: src.size,
    skipped: src.skipped ?? 0,
    classNames: src.classNames,
    labels,
    read,
    batches: (batchSize, options) =>
      walk(src.name, src.size, batchSize, options, async (indices) => {
        const images = await read(indices)
        const l = new Int32Array(indices.length)
        for (let k = 0; k < indices.length; k++) l[k] = labels[indices[k]!]!
        return { images, labels: l, indices }
      }),
    get: async (index) => ({ image: await read([index]), label: labels[index]!, index })
  }
}

/**
 * Builds a `CaptionedImages` from a source and its captions.
 *
 * @since 0.1.0
 * @category constructors
 */
export const captionedImages = (
  src: ImageSource & { readonly captions: ReadonlyArray<ReadonlyArray<string>> }
): CaptionedImages => {
  if (src.captions.length !== src.size) {
    throw new DataArgumentError({ field: `${src.name}: captions`, reason: `${src.captions.length} caption lists for ${src.size} images` })
  }
  const read = makeRead(src)
  const captions = src.captions
  return {
    kind: "captioned",
    name: src.name,
    height: src.height,
    width: src.width,
    channels: src.channels,
    size: src.size,
    skipped: src.skipped ?? 0,
    captions,
    read,
    batches: (batchSize, options) =>
      walk(src.name, src.size, batchSize, options, async (indices) => ({
        images: await read(indices),
        indices,
        captions: Array.from(indices, (i) => captions[i]!)
      })),
    get: async (index) => {
      const image = await read([index])
      return { image, captions: captions[index]!, index }
    }
  }
}

const sourceOf = (ds: ImageSet, name: string, indices: Int32Array): ImageSource => ({
  name,
  height: ds.height,
  width: ds.width,
  channels: ds.channels,
  size: indices.length,
  skipped: ds.skipped,
  readInto: async (idx, out) => {
    const mapped = new Int32Array(idx.length)
    for (let k = 0; k < idx.length; k++) mapped[k] = indices[idx[k]!]!
    out.set(await ds.read(mapped))
  }
})

/**
 * A view of the records at `indices` (in that order), re-indexed from 0.
 * Labels and captions follow their images; pixels are still read lazily from
 * the parent.
 *
 * @since 0.1.0
 * @category combinators
 */
export function subset(ds: LabeledImages, indices: ArrayLike<number>, name?: string): LabeledImages
export function subset(ds: CaptionedImages, indices: ArrayLike<number>, name?: string): CaptionedImages
export function subset(ds: LabeledImages | CaptionedImages, indices: ArrayLike<number>, name?: string): LabeledImages | CaptionedImages {
  checkIndices(ds.name, ds.size, indices)
  const idx = Int32Array.from(indices)
  const n = name ?? `${ds.name}[subset ${idx.length}]`
  if (ds.kind === "labeled") {
    return labeledImages({
      ...sourceOf(ds, n, idx),
      classNames: ds.classNames,
      labels: Int32Array.from(idx, (i) => ds.labels[i]!)
    })
  }
  return captionedImages({ ...sourceOf(ds, n, idx), captions: Array.from(idx, (i) => ds.captions[i]!) })
}

/**
 * The same images with new labels and class names (for remapped task views,
 * or labels by another attribute).
 *
 * @since 0.1.0
 * @category combinators
 */
export const relabel = (
  ds: ImageSet,
  labels: Int32Array,
  classNames: ReadonlyArray<string>,
  name?: string
): LabeledImages => {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!
    if (l < 0 || l >= classNames.length) {
      throw new DataArgumentError({ field: `${ds.name}: labels`, reason: `label ${l} at ${i} is outside [0, ${classNames.length})` })
    }
  }
  return labeledImages({
    name: name ?? ds.name,
    height: ds.height,
    width: ds.width,
    channels: ds.channels,
    size: ds.size,
    skipped: ds.skipped,
    readInto: async (idx, out) => out.set(await ds.read(idx)),
    classNames,
    labels
  })
}

/**
 * Reads a whole set into memory once (in chunks of `chunk` records), for
 * small sets read many times. The result has the same records, labels and
 * captions.
 *
 * @since 0.1.0
 * @category combinators
 */
export function materialize(ds: LabeledImages, chunk?: number): Promise<LabeledImages>
export function materialize(ds: CaptionedImages, chunk?: number): Promise<CaptionedImages>
export async function materialize(ds: LabeledImages | CaptionedImages, chunk = 1024): Promise<LabeledImages | CaptionedImages> {
  const per = ds.height * ds.width * ds.channels
  const all = new Uint8Array(ds.size * per)
  for (let start = 0; start < ds.size; start += chunk) {
    const stop = Math.min(start + chunk, ds.size)
    const idx = new Int32Array(stop - start)
    for (let k = 0; k < idx.length; k++) idx[k] = start + k
    all.set(await ds.read(idx), start * per)
  }
  const src: ImageSource = {
    name: ds.name,
    height: ds.height,
    width: ds.width,
    channels: ds.channels,
    size: ds.size,
    skipped: ds.skipped,
    readInto: async (idx, out) => {
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k]!
        out.set(all.subarray(i * per, (i + 1) * per), k * per)
      }
    }
  }
  return ds.kind === "labeled"
    ? labeledImages({ ...src, classNames: ds.classNames, labels: ds.labels })
    : captionedImages({ ...src, captions: ds.captions })
}

/**
 * Indices of the records whose label is one of `classes`, in set order.
 *
 * @since 0.1.0
 * @category utils
 */
export const indicesOfClasses = (ds: LabeledImages, classes: ReadonlyArray<number>): Int32Array => {
  const want = new Set(classes)
  const out: Array<number> = []
  for (let i = 0; i < ds.size; i++) if (want.has(ds.labels[i]!)) out.push(i)
  return Int32Array.from(out)
}

/**
 * Consecutive folds of `foldSize` records (COCO's 5k test as five folds of
 * 1k). A final partial fold is dropped unless `keepPartial`.
 *
 * @since 0.1.0
 * @category combinators
 */
export function folds(ds: CaptionedImages, foldSize: number, keepPartial?: boolean): Array<CaptionedImages>
export function folds(ds: LabeledImages, foldSize: number, keepPartial?: boolean): Array<LabeledImages>
export function folds(ds: LabeledImages | CaptionedImages, foldSize: number, keepPartial = false): Array<LabeledImages | CaptionedImages> {
  if (!Number.isInteger(foldSize) || foldSize <= 0) {
    throw new DataArgumentError({ field: `${ds.name}: foldSize`, reason: `must be a positive integer, got ${foldSize}` })
  }
  const out: Array<LabeledImages | CaptionedImages> = []
  for (let start = 0; start < ds.size; start += foldSize) {
    const stop = Math.min(start + foldSize, ds.size)
    if (stop - start < foldSize && !keepPartial) break
    const idx = new Int32Array(stop - start)
    for (let k = 0; k < idx.length; k++) idx[k] = start + k
    const name = `${ds.name}[fold ${out.length}]`
    out.push(ds.kind === "labeled" ? subset(ds, idx, name) : subset(ds, idx, name))
  }
  return out
}
