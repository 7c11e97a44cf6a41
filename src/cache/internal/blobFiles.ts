/**
 * Large artifacts' bytes in plain files beside the database
 * (`<db>.blobs/<blob id>`), written once.
 *
 * Why files: in WAL mode every byte put into SQLite is written twice, once
 * into the WAL and again by the checkpoint into the database file (with an
 * fsync of each). A file is written once, hashed while the kernel writes
 * it, and made durable by one fdatasync.
 *
 * Written and read through the direct-I/O layer (directIo.ts): O_DIRECT
 * where the file system allows it, with pieces from a reused aligned pool.
 *
 * Ownership and crash safety: the file belongs to a blob id exactly as
 * chunk rows do. It is created only after the blob's `uploads` row is
 * committed, named by that id, and becomes an artifact only when an
 * `artifacts` row names the blob, in the same transaction that removes the
 * upload row, after the file is complete and durable. A killed writer
 * leaves an upload row of a dead pid whose file the next sweep deletes;
 * evicting turns the artifact back into a `deleting` upload before the file
 * is removed (see docs/cache.md).
 *
 * @internal
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs"
import { join } from "node:path"
import {
  closeAll,
  datasync,
  DEPTH,
  freshTarget,
  openHandle,
  padTail,
  PIECE,
  pool,
  readFully,
  readFullySync,
  syncDir,
  writeFully,
  type Handle
} from "./directIo.js"

/** Where a store's blob files live. */
export const blobDir = (dbPath: string): string => `${dbPath}.blobs`

export const blobPath = (dir: string, blob: number): string => join(dir, String(blob))

/** Make the folder (and its entry in the parent) durable once. */
export const ensureBlobDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true })
  syncDir(dir)
}

export const removeBlobFile = (dir: string, blob: number): void => rmSync(blobPath(dir, blob), { force: true })

/** Size of a blob file, or undefined if it is missing. */
export const blobFileSize = (dir: string, blob: number): number | undefined => {
  try {
    return statSync(blobPath(dir, blob)).size
  } catch {
    return undefined
  }
}

/** Blob ids of the files present (names that are not ids are ignored). */
export const listBlobFiles = (dir: string): Array<number> => {
  let names: Array<string>
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names.filter((n) => /^\d+$/.test(n)).map(Number)
}

/** A blob file that is missing or does not hold its artifact's bytes (the store reports it as corrupt). */
export class BlobFileDamaged extends Error {
  constructor(readonly detail: string) {
    super(detail)
  }
}

// ---- writing -------------------------------------------------------------------

export interface BlobFileWriter {
  /**
   * Append `data`. It is copied before this returns, so the caller may hash
   * or reuse it at once; the promise resolves when a piece is free for the
   * next call (at most DEPTH writes are in flight).
   */
  readonly write: (data: Uint8Array) => Promise<void>
  /** Make the file durable (data, size and directory entry) and close it. */
  readonly finish: () => Promise<void>
  /** Wait for writes in flight, close and delete (after a failure); never rejects. */
  readonly abort: () => Promise<void>
}

/** Dirty bytes after which a buffered writer starts a background fdatasync, so the final one has little left. */
const SYNC_EVERY = 128 * 1024 * 1024

/** Create the blob file of `blob` (the caller has committed its uploads row). */
export const createBlobFile = (dir: string, blob: number, options: { readonly direct: boolean }): BlobFileWriter => {
  const path = blobPath(dir, blob)
  const h = openHandle(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, options.direct)
  let piece: Buffer | null = null
  let fill = 0
  /** File offset of `piece[0]`. */
  let pos = 0
  const inflight: Array<Promise<void>> = []
  let failure: unknown = null
  let dirty = 0
  let syncing: Promise<void> | null = null
  let closed = false

  const submit = (b: Buffer, len: number): void => {
    // A direct tail is padded to a whole block; `finish`'s truncate cuts it off.
    const out = padTail(h, b, len)
    const at = pos
    pos += len
    inflight.push(
      writeFully(h, b, out, at).then(
        () => pool.give(b),
        (e) => {
          failure ??= e
        }
      )
    )
    if (!h.direct) {
      dirty += len
      if (dirty >= SYNC_EVERY && syncing === null) {
        dirty = 0
        syncing = datasync(h.fd).then(
          () => void (syncing = null),
          (e) => {
            failure ??= e
          }
        )
      }
    }
  }
  const settle = async (): Promise<void> => {
    while (inflight.length > 0) await inflight.shift()
    if (syncing !== null) await syncing
  }
  const closeOnce = async (): Promise<void> => {
    if (closed) return
    closed = true
    await closeAll(h)
  }
  return {
    write: async (data) => {
      if (failure !== null) throw failure
      let off = 0
      while (off < data.byteLength) {
        piece ??= pool.take()
        const n = Math.min(PIECE - fill, data.byteLength - off)
        piece.set(data.subarray(off, off + n), fill)
        fill += n
        off += n
        if (fill === PIECE) {
          submit(piece, fill)
          piece = null
          fill = 0
        }
      }
      while (inflight.length >= DEPTH) await inflight.shift()
      if (failure !== null) throw failure
    },
    finish: async () => {
      if (piece !== null && fill > 0) submit(piece, fill)
      piece = null
      fill = 0
      await settle()
      if (failure !== null) throw failure
      // Padding written past the end (direct tail) is cut off; a no-op otherwise.
      if (fstatSync(h.fd).size !== pos) ftruncateSync(h.fd, pos)
      await datasync(h.fd)
      await closeOnce()
      // The file's directory entry must be durable before a row names it.
      syncDir(dir)
    },
    abort: async () => {
      try {
        await settle()
        await closeOnce()
      } catch {
        // already closed
      }
      rmSync(path, { force: true })
    }
  }
}

// ---- reading -------------------------------------------------------------------

export interface BlobFileReader {
  /**
   * The next piece of the file, or null after the last byte. Rejects with
   * `BlobFileDamaged` if the file ends early. A "pool" piece is borrowed:
   * valid until the next call to `next` or `close`.
   */
  readonly next: () => Promise<Uint8Array | null>
  /** Wait for reads in flight and close; idempotent, never rejects. */
  readonly close: () => Promise<void>
  /** With `into: "whole"`: the buffer the pieces are views of (complete once `next` gave null). */
  readonly whole: Uint8Array | null
}

/**
 * Where a reader's pieces land:
 * - "pool": reused aligned pieces, borrowed by the consumer (no memory per piece);
 * - "fresh": a new buffer per piece, the consumer's to keep;
 * - "whole": one new buffer for the whole file, each piece a view of it.
 * The kernel fills fresh memory on the thread pool, where its first-touch
 * cost overlaps with hashing the previous piece on the main thread.
 */
export type ReadInto = "pool" | "fresh" | "whole"

const openForRead = (dir: string, blob: number, size: number, direct: boolean): Handle => {
  let h: Handle
  try {
    h = openHandle(blobPath(dir, blob), constants.O_RDONLY, direct)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new BlobFileDamaged("its blob file is missing")
    throw e
  }
  const actual = fstatSync(h.fd).size
  if (actual !== size) {
    for (const fd of h.all) closeSync(fd)
    throw new BlobFileDamaged(`its blob file holds ${actual} bytes, not ${size}`)
  }
  return h
}

const shortFile = (size: number) => new BlobFileDamaged(`its blob file does not hold ${size} bytes`)

/**
 * Read the blob file of `blob`, expected to hold `size` bytes, with DEPTH
 * reads ahead. Throws `BlobFileDamaged` at once if it is missing or of
 * another size.
 */
export const openBlobReader = (
  dir: string,
  blob: number,
  size: number,
  options: { readonly direct: boolean; readonly into: ReadInto }
): BlobFileReader => {
  const h = openForRead(dir, blob, size, options.direct)
  const whole = options.into === "whole" ? freshTarget(h, size) : null
  const queue: Array<{ raw: Buffer; at: number; len: number; pooled: boolean; done: Promise<number> }> = []
  let issued = 0
  let lent: Buffer | null = null
  let closed = false
  const issue = (): void => {
    while (queue.length < DEPTH && issued < size) {
      const len = Math.min(PIECE, size - issued)
      const target =
        whole !== null ? { raw: whole.raw, at: whole.at + issued } : options.into === "pool" ? { raw: pool.take(), at: 0 } : freshTarget(h, len)
      const done = readFully(h, target.raw, target.at, len, issued)
      done.catch(() => undefined) // awaited in order by `next`
      queue.push({ ...target, len, pooled: options.into === "pool", done })
      issued += len
    }
  }
  const giveBack = (): void => {
    if (lent !== null) pool.give(lent)
    lent = null
  }
  return {
    whole: whole === null ? null : whole.raw.subarray(whole.at, whole.at + size),
    next: async () => {
      giveBack()
      issue()
      const head = queue.shift()
      if (head === undefined) return null
      let got: number
      try {
        got = await head.done
      } finally {
        issue()
      }
      if (head.pooled) lent = head.raw
      if (got < head.len) throw shortFile(size)
      return head.raw.subarray(head.at, head.at + head.len)
    },
    close: async () => {
      if (closed) return
      closed = true
      for (const r of queue.splice(0)) {
        await r.done.catch(() => undefined)
        if (r.pooled) pool.give(r.raw)
      }
      giveBack()
      await closeAll(h)
    }
  }
}

/**
 * The same, synchronously (verify, export): borrowed pieces, each valid
 * until the generator resumes.
 */
export function* readBlobFileSync(dir: string, blob: number, size: number, options: { readonly direct: boolean }): Generator<Uint8Array> {
  const h = openForRead(dir, blob, size, options.direct)
  const buf = pool.take()
  try {
    for (let at = 0; at < size; ) {
      const len = Math.min(PIECE, size - at)
      const got = readFullySync(h, buf, 0, len, at)
      if (got < len) throw shortFile(size)
      yield buf.subarray(0, len)
      at += len
    }
  } finally {
    pool.give(buf)
    for (const fd of h.all) closeSync(fd)
  }
}
