/**
 * Large artifacts' bytes in plain files beside the database
 * (`<db>.blobs/<blob id>`), written once.
 *
 * Why: in WAL mode every byte put into SQLite is written twice, once into
 * the WAL and again by the checkpoint into the database file (with an fsync
 * of each). For a 1 GiB checkpoint that double write was most of the time
 * the user waited (1 GiB in at ~450-670 MB/s, then a 2-3 s checkpoint). A
 * file is written once, hashed while the kernel copies it, and made durable
 * by one fdatasync that is mostly overlapped with the writing.
 *
 * The file belongs to a blob id exactly as chunk rows do: it is created
 * only after the blob's `uploads` row is committed, named by that id, and
 * becomes an artifact only when an `artifacts` row names the blob, in the
 * same transaction that removes the upload row, after the file is complete
 * and durable. A killed writer leaves an upload row of a dead pid whose file
 * the next sweep deletes; evicting turns the artifact back into a
 * `deleting` upload before the file is removed. So the store's crash-safety
 * argument is unchanged (see docs/cache.md).
 *
 * @internal
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, write, read, close } from "node:fs"
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

const writeAsync = (fd: number, data: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => {
    let off = 0
    const step = (): void => {
      write(fd, data, off, data.byteLength - off, null, (e, n) => {
        if (e) return reject(e)
        off += n
        if (off < data.byteLength) step()
        else resolve()
      })
    }
    step()
  })

const datasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())))

/** Dirty bytes after which a background fdatasync starts, so the final one has little left. */
const SYNC_EVERY = 128 * 1024 * 1024

export interface BlobFileWriter {
  /**
   * Append `data` (kept by the caller until the promise resolves). Runs on
   * libuv's thread pool: hash the same bytes meanwhile.
   */
  readonly write: (data: Uint8Array) => Promise<void>
  /** Make the file durable (data, size and directory entry) and close it. */
  readonly finish: () => Promise<void>
  /** Close and delete (after a failure); never throws. */
  readonly abort: () => void
}

/** Create the blob file of `blob` (the caller has committed its uploads row). */
export const createBlobFile = (dir: string, blob: number): BlobFileWriter => {
  const path = blobPath(dir, blob)
  const fd = openSync(path, "w")
  let open = true
  let dirty = 0
  let syncing: Promise<void> | null = null
  const closeOnce = (): void => {
    if (open) {
      open = false
      closeSync(fd)
    }
  }
  return {
    write: async (data) => {
      await writeAsync(fd, data)
      dirty += data.byteLength
      if (dirty >= SYNC_EVERY) {
        // Start flushing what is written while the next pieces arrive (one flush at a time).
        if (syncing !== null) await syncing
        dirty = 0
        syncing = datasync(fd)
      }
    },
    finish: async () => {
      if (syncing !== null) await syncing
      await datasync(fd)
      closeOnce()
      // The file's directory entry must be durable before a row names it.
      syncDir(dir)
    },
    abort: () => {
      try {
        closeOnce()
      } catch {
        // already closed
      }
      rmSync(path, { force: true })
    }
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

/** Read a blob file in pieces of `piece` bytes (synchronously: verify, export). */
export function* readBlobFileSync(dir: string, blob: number, piece: number): Generator<Buffer> {
  const fd = openSync(blobPath(dir, blob), "r")
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(piece)
      let n = 0
      while (n < piece) {
        const r = readSync(fd, buf, n, piece - n, null)
        if (r === 0) break
        n += r
      }
      if (n > 0) yield n === piece ? buf : buf.subarray(0, n)
      if (n < piece) return
    }
  } finally {
    closeSync(fd)
  }
}

export const openBlobFile = (dir: string, blob: number): number => openSync(blobPath(dir, blob), "r")

export const closeBlobFile = (fd: number): Promise<void> => new Promise((resolve) => close(fd, () => resolve()))

/** Fill `buf[off, off + len)` from `pos` (fewer bytes only at the end of the file). */
export const readAt = (fd: number, buf: Uint8Array, off: number, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => {
    let got = 0
    const step = (): void => {
      read(fd, buf, off + got, len - got, pos + got, (e, n) => {
        if (e) return reject(e)
        got += n
        if (n === 0 || got === len) resolve(got)
        else step()
      })
    }
    step()
  })
