/**
 * Random access to fixed-size records in a file (IDX, CIFAR), plain or
 * gzipped. Plain files are read by offset, opening the file per bulk read so
 * no descriptor outlives a call. A `.gz` file cannot be read by offset, so it
 * is inflated once: into memory when small, else into a scratch file (keyed
 * by the source's path, size and mtime, written atomically, reused).
 * Inflation uses a sync flush so a truncated archive yields its complete
 * records and the format layer can name the first missing one.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
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

const gunzipTo = async (file: string, st: fs.Stats, dir: string): Promise<string> => {
  const key = createHash("sha256").update(`${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 16)
  const target = path.join(dir, `${path.basename(file, ".gz")}-${key}`)
  if (fs.existsSync(target)) return target
  fs.mkdirSync(dir, { recursive: true })
  const tmp = `${target}.${process.pid}.partial`
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(flush), fs.createWriteStream(tmp))
    fs.renameSync(tmp, target)
  } catch (cause) {
    fs.rmSync(tmp, { force: true })
    throw new DataFormatError({ file, reason: `gzip stream does not inflate (${String(cause)})` })
  }
  return target
}

/** Opens `file` for ranged reads; `.gz` files are inflated first. */
export const openByteFile = async (file: string, options?: GunzipOptions): Promise<ByteFile> => {
  const st = statFile(file)
  if (!file.endsWith(".gz")) return onDisk(file, file, st.size)
  const mode = options?.gunzip ?? "auto"
  if (mode === "memory" || (mode === "auto" && st.size < MEMORY_LIMIT)) {
    let bytes: Uint8Array
    try {
      bytes = zlib.gunzipSync(fs.readFileSync(file), flush)
    } catch (cause) {
      throw new DataFormatError({ file, reason: `gzip stream does not inflate (${String(cause)})` })
    }
    return inMemory(file, bytes)
  }
  const real = await gunzipTo(file, st, options?.scratchDir ?? path.join(os.tmpdir(), "clipcl-data"))
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
