/**
 * Direct I/O for Node: files read and written with O_DIRECT where the file
 * system allows it, through pieces of memory that are aligned and reused.
 * Nothing here knows of blobs or of the store.
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
 * @internal
 */
import { close, closeSync, constants, fdatasync, fsyncSync, openSync, read, readSync, write } from "node:fs"

/** O_DIRECT's alignment of addresses, offsets and lengths (the largest logical block size in use). */
const ALIGN = 4096
/** Bytes per read or write (one pooled piece). */
export const PIECE = 8 * 1024 * 1024
/** Reads or writes in flight per file (the thread pool fills one while another is hashed). */
export const DEPTH = 3
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
export const pool = (() => {
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
export interface Handle {
  /** The descriptor for the next transfer (direct until one is refused). */
  fd: number
  direct: boolean
  readonly all: Array<number>
  /** Switch to buffered I/O for this transfer and the rest. */
  readonly fallBack: () => void
}

const isEinval = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === "EINVAL"

export const openHandle = (path: string, flags: number, direct: boolean): Handle => {
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

export const closeAll = async (h: Handle): Promise<void> => {
  for (const fd of h.all.splice(0)) await new Promise<void>((resolve) => close(fd, () => resolve()))
}

const writeOnce = (fd: number, b: Uint8Array, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => write(fd, b, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

const readOnce = (fd: number, b: Uint8Array, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => read(fd, b, off, len, pos, (e, n) => (e ? reject(e) : resolve(n))))

export const datasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())))

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
export const writeFully = async (h: Handle, b: Uint8Array, len: number, pos: number): Promise<void> => {
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
export const readFully = async (h: Handle, b: Uint8Array, off: number, need: number, pos: number): Promise<number> => {
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
export const readFullySync = (h: Handle, b: Uint8Array, off: number, need: number, pos: number): number => {
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
export const freshTarget = (h: Handle, len: number): { raw: Buffer; at: number } => {
  if (!h.direct) return { raw: Buffer.allocUnsafeSlow(len), at: 0 }
  const raw = Buffer.allocUnsafeSlow(len + 2 * ALIGN)
  return { raw, at: alignedOffset(h, raw) }
}

/**
 * How many bytes to transfer for the `len` bytes at the start of `b`: a
 * direct transfer is whole aligned blocks, so the tail is padded with zeros
 * (`b` has room: it is a whole piece) and the caller truncates the file
 * after.
 */
export const padTail = (h: Handle, b: Buffer, len: number): number => {
  if (!h.direct || len % ALIGN === 0) return len
  b.fill(0, len, roundUp(len))
  return roundUp(len)
}

/** Make a folder's entries durable. */
export const syncDir = (dir: string): void => {
  const fd = openSync(dir, "r")
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

