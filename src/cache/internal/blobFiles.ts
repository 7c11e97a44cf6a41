/**
 * Large artifacts' bytes in plain files beside the database
 * (`<db>.blobs/<blob id>`), written once.
 *
 * Why files: in WAL mode every byte put into SQLite is written twice, once
 * into the WAL and again by the checkpoint into the database file (with an
 * fsync of each). A file is written once, hashed while the kernel writes
 * it, and made durable by one fdatasync.
 *
 * Why direct I/O (O_DIRECT where the file system allows it): a 1-2 GB
 * checkpoint written once should not push everything else out of the page
 * cache, and on virtual machines whose free memory is handed back to the
 * host (free page reporting), every fresh page-cache or heap page costs a
 * host fault: there, buffered writes of 1 GiB ran at ~310-370 MB/s against
 * ~500-800 MB/s direct, and reads into fresh buffers at ~360-630 MB/s
 * against ~1.4 GB/s direct into reused ones. Direct I/O needs aligned
 * buffers, and a Buffer's address is not knowable from JavaScript: reused
 * pieces come from a small process-wide pool carved out of WebAssembly
 * memory, whose base is page aligned; a fresh buffer the caller will own
 * is aligned by probing (`alignedOffset`). Where O_DIRECT is refused
 * (EINVAL: tmpfs, some FUSE or network file systems) the same code runs
 * buffered. On a 16-core host without that VM cost, direct and buffered
 * measured the same (docs/cache.md).
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
import {
  close,
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  read,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  write
} from "node:fs"
import { join } from "node:path"

/** Where a store's blob files live. */
export const blobDir = (dbPath: string): string => `${dbPath}.blobs`

export const blobPath = (dir: string, blob: number): string => join(dir, String(blob))

/** Make the folder (and its entry in the parent) durable once. */
export const ensureBlobDir = (dir: string): void => {
  mkdirSync(dir, { recursive: true })
  syncDir(dir)
}

const syncDir = (dir: string): void => {
  const fd = openSync(dir, "r")
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
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

// ---- aligned pieces ------------------------------------------------------------

/** O_DIRECT's alignment of addresses, offsets and lengths (the largest logical block size in use). */
const ALIGN = 4096
/** Bytes per read or write of a blob file. */
export const PIECE = 8 * 1024 * 1024
/** Reads or writes in flight per file (the thread pool fills one while another is hashed). */
const DEPTH = 3
/** Free pieces kept for reuse (one reader or writer needs DEPTH + 1). */
const KEEP = 8

/** The one WebAssembly API used (the project's type libraries leave WebAssembly out). */
declare const WebAssembly: { readonly Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer } }

const O_DIRECT: number = constants.O_DIRECT ?? 0
const roundUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN

/**
 * Reused, page-aligned pieces. Reuse is the point: fresh memory is what is
 * slow where page faults are expensive, and aligned memory is what O_DIRECT
 * needs. Pieces beyond `KEEP` are left to the garbage collector.
 */
const pool = (() => {
  const free: Array<Buffer> = []
  return {
    take: (): Buffer => {
      const b = free.pop()
      if (b !== undefined) return b
      // WebAssembly pages are 64 KiB and a memory's base is page aligned.
      const batch = DEPTH + 1
      const memory = new WebAssembly.Memory({ initial: (batch * PIECE) / 65536 })
      for (let i = 1; i < batch; i++) free.push(Buffer.from(memory.buffer, i * PIECE, PIECE))
      return Buffer.from(memory.buffer, 0, PIECE)
    },
    give: (b: Buffer): void => {
      if (free.length < KEEP) free.push(b)
    }
  }
})()

/**
 * A file opened for direct I/O when asked and allowed, with a buffered
 * descriptor opened on the first EINVAL (a file system that takes O_DIRECT
 * at open but refuses some transfer).
 */
interface Handle {
  /** The descriptor for the next transfer (direct until one is refused). */
  fd: number
  direct: boolean
  readonly all: Array<number>
  /** Switch to buffered I/O for this transfer and the rest. */
  readonly fallBack: () => void
}

const isEinval = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === "EINVAL"

const openHandle = (path: string, flags: number, direct: boolean): Handle => {
  let fd: number | null = null
  if (direct && O_DIRECT !== 0) {
    try {
      fd = openSync(path, flags | O_DIRECT)
    } catch (e) {
      if (!isEinval(e)) throw e
    }
  }
  const h: Handle = {
    fd: fd ?? openSync(path, flags),
    direct: fd !== null,
    all: [],
    fallBack: () => {
      if (!h.direct) return
      // Never truncate or create here: the file is already open.
      h.fd = openSync(path, flags & ~(constants.O_CREAT | constants.O_TRUNC | constants.O_EXCL))
      h.all.push(h.fd)
      h.direct = false
    }
  }
  h.all.push(h.fd)
  return h
}

const closeAll = async (h: Handle): Promise<void> => {
  for (const fd of h.all.splice(0)) await new Promise<void>((resolve) => close(fd, () => resolve()))
}

const writeOnce = (fd: number, b: Uint8Array, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => write(fd, b, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

const readOnce = (fd: number, b: Uint8Array, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, b, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

const datasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())))

/** A failed transfer: rethrown, unless direct I/O was refused, in which case the handle goes buffered. */
const fallBackOrThrow = (h: Handle, e: unknown): void => {
  if (!(h.direct && isEinval(e))) throw e
  h.fallBack()
}

/** After a short transfer: direct I/O cannot go on from an unaligned position, buffered can. */
const alignAfterShort = (h: Handle, done: number): void => {
  if (h.direct && done % ALIGN !== 0) h.fallBack()
}

/** Write `b[0, len)` at `pos`, retrying buffered if direct I/O is refused. */
const writeFully = async (h: Handle, b: Uint8Array, len: number, pos: number): Promise<void> => {
  let done = 0
  while (done < len) {
    try {
      done += await writeOnce(h.fd, b, done, len - done, pos + done)
    } catch (e) {
      fallBackOrThrow(h, e)
      continue
    }
    if (done < len) alignAfterShort(h, done)
  }
}

/**
 * Read the `need` bytes at `pos` into `b[off, ...)`; returns how many came
 * (fewer only if the file ends sooner). A direct read asks for whole
 * blocks (`b` has room for them) and the file simply ends within the last.
 */
const readFully = async (h: Handle, b: Uint8Array, off: number, need: number, pos: number): Promise<number> => {
  let got = 0
  while (got < need) {
    let n: number
    try {
      n = await readOnce(h.fd, b, off + got, (h.direct ? roundUp(need) : need) - got, pos + got)
    } catch (e) {
      fallBackOrThrow(h, e)
      continue
    }
    if (n === 0) break
    got += n
    if (got < need) alignAfterShort(h, got)
  }
  return got
}

/** `readFully`'s synchronous twin (verify and export read inside SQLite transactions). */
const readFullySync = (h: Handle, b: Uint8Array, off: number, need: number, pos: number): number => {
  let got = 0
  while (got < need) {
    let n: number
    try {
      n = readSync(h.fd, b, off + got, (h.direct ? roundUp(need) : need) - got, pos + got)
    } catch (e) {
      fallBackOrThrow(h, e)
      continue
    }
    if (n === 0) break
    got += n
    if (got < need) alignAfterShort(h, got)
  }
  return got
}

/**
 * Where in a fresh buffer direct reads may land. JavaScript cannot see a
 * buffer's address, so this asks the kernel: a direct read of one block
 * (file offset 0) succeeds only into an aligned address. The first guess
 * is where glibc puts a large allocation (16 bytes into a page). If no
 * offset works, the handle falls back to buffered reads and 0 is returned.
 */
const alignedOffset = (h: Handle, raw: Buffer): number => {
  if (!h.direct) return 0
  for (const k of [ALIGN - 16, 0, ...Array.from({ length: ALIGN / 16 }, (_, i) => i * 16)]) {
    try {
      readSync(h.fd, raw, k, ALIGN, 0)
      return k
    } catch (e) {
      if (!isEinval(e)) throw e
    }
  }
  h.fallBack()
  return 0
}

/**
 * A fresh buffer for `len` bytes read directly: `raw` has room for the
 * alignment offset and for the last read's rounding up to a whole block.
 */
const freshTarget = (h: Handle, len: number): { raw: Buffer; at: number } => {
  if (!h.direct) return { raw: Buffer.allocUnsafeSlow(len), at: 0 }
  const raw = Buffer.allocUnsafeSlow(len + 2 * ALIGN)
  return { raw, at: alignedOffset(h, raw) }
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
    // Direct transfers are whole aligned blocks: the tail is padded with
    // zeros here and cut off by `finish`'s truncate.
    const out = h.direct && len % ALIGN !== 0 ? (b.fill(0, len, roundUp(len)), roundUp(len)) : len
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
