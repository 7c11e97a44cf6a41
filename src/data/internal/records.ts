/**
 * Random access to fixed-size records in a file (IDX, CIFAR), plain or
 * gzipped. Plain files are read by offset, opening the file per bulk read so
 * no descriptor outlives a call. A `.gz` file cannot be read by offset, so it
 * is inflated once: into memory when small, else into a scratch file (keyed
 * by the source's path, size and mtime, written atomically, reused).
 * Inflation streams, and stops at the size the format's header declares
 * (`declared`): bytes past it are never inflated, so a small archive that
 * inflates to far more than its header announces costs only what it
 * announces. It uses a sync flush so a truncated archive yields its complete
 * records and the format layer can name the first missing one.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { DataFileMissing, DataFormatError } from "../errors.js"

export type Gunzip = "auto" | "memory" | "scratch"

export interface GunzipOptions {
  /** Where `.gz` files are inflated; "auto" uses memory below 64 MiB compressed. */
  readonly gunzip?: Gunzip
  /** Folder for scratch copies (default: `os.tmpdir()/clipcl-data`). */
  readonly scratchDir?: string
}

/** Bytes of a (possibly inflated) file, addressable by offset. */
export interface ByteFile {
  /** The user's path, for error messages. */
  readonly file: string
  readonly byteLength: number
  /** Copies `length` bytes at `offset` for each range (each within bounds). */
  readonly readRanges: (ranges: ReadonlyArray<{ offset: number; length: number }>) => Array<Uint8Array>
}

const MEMORY_LIMIT = 64 * 1024 * 1024

export const statFile = (file: string): fs.Stats => {
  try {
    const st = fs.statSync(file)
    if (!st.isFile()) throw new Error("not a regular file")
    return st
  } catch (cause) {
    throw new DataFileMissing({ file, cause })
  }
}

const inMemory = (file: string, bytes: Uint8Array): ByteFile => ({
  file,
  byteLength: bytes.length,
  readRanges: (ranges) => ranges.map((r) => bytes.slice(r.offset, r.offset + r.length))
})

const onDisk = (file: string, real: string, byteLength: number): ByteFile => ({
  file,
  byteLength,
  readRanges: (ranges) => {
    const fd = fs.openSync(real, "r")
    try {
      return ranges.map((r) => {
        const buf = new Uint8Array(r.length)
        let got = 0
        while (got < r.length) {
          const n = fs.readSync(fd, buf, got, r.length - got, r.offset + got)
          if (n === 0) break
          got += n
        }
        return buf
      })
    } finally {
      fs.closeSync(fd)
    }
  }
})

const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH }

/**
 * The total size a file's first bytes declare (header plus records), given
 * at least `HEAD` bytes or the whole file if shorter; Infinity when the
 * format has no header that says.
 */
export type Declared = (head: Uint8Array) => number

/** Bytes of inflated output handed to `declared`. */
export const HEAD = 64
/** Deflate's largest ratio is about 1032:1: no archive inflates to more than this per compressed byte. */
const MAX_RATIO = 1032

/**
 * Inflate `file` piece by piece, handing each piece (cut at the declared
 * size) to `sink`, and stop reading once the declared size is reached.
 */
const inflate = async (file: string, declared: Declared, sink: (piece: Uint8Array, limit: number) => void | Promise<void>): Promise<void> => {
  const source = fs.createReadStream(file)
  const gunzip = zlib.createGunzip(flush)
  source.on("error", (e) => gunzip.destroy(e))
  source.pipe(gunzip)
  let head: Array<Buffer> | null = []
  let headBytes = 0
  let limit = Infinity
  let done = 0
  const emit = async (piece: Uint8Array): Promise<boolean> => {
    const n = Math.min(piece.byteLength, limit - done)
    if (n > 0) await sink(n === piece.byteLength ? piece : piece.subarray(0, n), limit)
    done += n
    return done >= limit
  }
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (head !== null) {
        head.push(chunk)
        headBytes += chunk.byteLength
        if (headBytes < HEAD) continue
        const first = Buffer.concat(head)
        head = null
        limit = declared(first)
        if (await emit(first)) break
        continue
      }
      if (await emit(chunk)) break
    }
    if (head !== null) {
      const first = Buffer.concat(head)
      limit = declared(first)
      await emit(first)
    }
  } catch (cause) {
    throw new DataFormatError({ file, reason: `gzip stream does not inflate (${String(cause)})` })
  } finally {
    source.destroy()
    gunzip.destroy()
  }
}

/** Inflate into one buffer of the declared size (or what the archive holds, if less). */
const gunzipInMemory = async (file: string, st: fs.Stats, declared: Declared): Promise<Uint8Array> => {
  let out: Uint8Array | null = null
  let filled = 0
  const bound = Math.max(HEAD, st.size * MAX_RATIO)
  await inflate(file, declared, (piece, limit) => {
    if (out === null) out = new Uint8Array(Number.isFinite(limit) ? Math.min(limit, bound) : Math.max(piece.byteLength, 1 << 20))
    if (filled + piece.byteLength > out.byteLength) {
      // No declared size (or the bound was too low): grow by doubling.
      const next = new Uint8Array(Math.max(out.byteLength * 2, filled + piece.byteLength))
      next.set(out.subarray(0, filled))
      out = next
    }
    out.set(piece, filled)
    filled += piece.byteLength
  })
  return out === null ? new Uint8Array(0) : (out as Uint8Array).subarray(0, filled)
}

const gunzipTo = async (file: string, st: fs.Stats, dir: string, declared: Declared): Promise<string> => {
  const key = createHash("sha256").update(`${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 16)
  const target = path.join(dir, `${path.basename(file, ".gz")}-${key}`)
  if (fs.existsSync(target)) return target
  fs.mkdirSync(dir, { recursive: true })
  const tmp = `${target}.${process.pid}.partial`
  const fd = fs.openSync(tmp, "w")
  try {
    await inflate(file, declared, (piece) => {
      fs.writeSync(fd, piece)
    })
    fs.closeSync(fd)
    fs.renameSync(tmp, target)
  } catch (e) {
    try {
      fs.closeSync(fd)
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true })
    throw e
  }
  return target
}

/**
 * Opens `file` for ranged reads; `.gz` files are inflated first, up to the
 * size `declared` reads from their first bytes (default: all of it).
 */
export const openByteFile = async (file: string, options?: GunzipOptions, declared: Declared = () => Infinity): Promise<ByteFile> => {
  const st = statFile(file)
  if (!file.endsWith(".gz")) return onDisk(file, file, st.size)
  const mode = options?.gunzip ?? "auto"
  if (mode === "memory" || (mode === "auto" && st.size < MEMORY_LIMIT)) return inMemory(file, await gunzipInMemory(file, st, declared))
  const real = await gunzipTo(file, st, options?.scratchDir ?? path.join(os.tmpdir(), "clipcl-data"), declared)
  return onDisk(file, real, fs.statSync(real).size)
}

/**
 * Reads fixed-size records `indices` (after a `header` of bytes), calling
 * `each(k, bytes, offset)` with the k-th requested record. Consecutive record
 * numbers are read as one range, so a sequential walk costs one read.
 */
export const readRecords = (
  f: ByteFile,
  header: number,
  recordBytes: number,
  indices: ArrayLike<number>,
  each: (k: number, bytes: Uint8Array, offset: number) => void
): void => {
  const order = Array.from({ length: indices.length }, (_, k) => k).sort((a, b) => indices[a]! - indices[b]!)
  const runs: Array<{ first: number; count: number; ks: Array<number> }> = []
  for (const k of order) {
    const i = indices[k]!
    const last = runs[runs.length - 1]
    if (last && (i === last.first + last.count - 1 || i === last.first + last.count) && last.count < 4096) {
      if (i === last.first + last.count) last.count++
      last.ks.push(k)
    } else {
      runs.push({ first: i, count: 1, ks: [k] })
    }
  }
  const bufs = f.readRanges(runs.map((r) => ({ offset: header + r.first * recordBytes, length: r.count * recordBytes })))
  runs.forEach((r, j) => {
    const buf = bufs[j]!
    for (const k of r.ks) each(k, buf, (indices[k]! - r.first) * recordBytes)
  })
}
