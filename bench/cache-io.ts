/**
 * Cache I/O benchmark: write a large artifact (default 1 GiB) into a fresh
 * store as a stream, then read it back three ways, each sha256 verified:
 * scanned (`scanArtifact`, borrowed pieces: how checkpoints are decoded),
 * streamed (`streamArtifact`, pieces the consumer owns) and as one buffer;
 * report MB/s each way and the peak RSS.
 *
 * The write figure counts everything until the put returns: reading the
 * source, sha256, writing the blob file, its fdatasync (the bytes are on
 * disk) and the publishing transaction. `closeMs` is what closing the store
 * and checkpointing its WAL into the main file take afterwards (the
 * artifact's bytes never go through the WAL); `writeAllMBps` counts both.
 *
 *   node --import tsx bench/cache-io.ts [--size 1GiB] [--chunk 4MiB] [--dir DIR] [--json] [--no-whole]
 *                                       [--file-threshold SIZE] [--buffered]
 *
 * `--buffered` turns the store's direct I/O off (`directIo: false`), to
 * compare with the page-cache path.
 *
 * `runCacheIoBench` is exported for `npm run bench:engine`. The store lives
 * in a temp folder (os.tmpdir(), or --dir) that is removed afterwards.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import Database from "better-sqlite3"
import { Effect, Stream } from "effect"
import { make } from "../src/cache/CacheStore.js"
import { formatBytes, parseSize } from "../src/cache/units.js"

export interface CacheIoOptions {
  /** Artifact size in bytes (default 1 GiB). */
  readonly size?: number
  /** Store chunk size (default: the store's, 4 MiB). */
  readonly chunkSize?: number
  /** Folder for the temporary store (default os.tmpdir()). */
  readonly dir?: string
  /** Also read the artifact back as one whole buffer (default true). */
  readonly whole?: boolean
  /** Store option: artifacts above this size become blob files (default: the store's, 32 MiB). */
  readonly fileThreshold?: number
  /** Store option `directIo` (default true). */
  readonly directIo?: boolean
}

export interface CacheIoResult {
  readonly bytes: number
  readonly chunkSize: number | null
  /** putArtifact of a stream, until it returns: hashing, writing, fdatasync, publishing. */
  readonly writeMBps: number
  readonly writeMs: number
  /** From the put's return to the WAL fully checkpointed into the main file (store close included). */
  readonly closeMs: number
  /** Write counting `closeMs` too. */
  readonly writeAllMBps: number
  /** scanArtifact to the end: borrowed pieces (sha256 verified). */
  readonly scanReadMBps: number
  /** streamArtifact consumed to the end: owned pieces (sha256 verified). */
  readonly streamReadMBps: number
  /** readArtifact into one buffer (sha256 verified); null if skipped. */
  readonly wholeReadMBps: number | null
  /**
   * The machine's own ceiling for anything that returns a fresh buffer of
   * this size: allocating and filling one, in a child process (MB/s).
   */
  readonly freshMemoryMBps: number
  /** Peak resident set size of the process (bytes). */
  readonly peakRssBytes: number
  /** Peak RSS of the streamed write and read (before the whole-buffer read). */
  readonly peakRssStreamingBytes: number
  /** Largest WAL file seen during the write (sampled per 4 MiB piece). */
  readonly peakWalBytes: number
}

const PIECE = 4 * 1024 * 1024

/** Pseudo-random 4 MiB pieces; a counter in each piece keeps them distinct. */
async function* source(size: number, onPiece: () => void): AsyncGenerator<Uint8Array> {
  const base = Buffer.allocUnsafe(PIECE)
  let x = 0x9e3779b9
  for (let i = 0; i < PIECE; i += 4) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    base.writeUInt32LE(x >>> 0, i)
  }
  for (let off = 0, n = 0; off < size; off += PIECE, n++) {
    base.writeUInt32LE(n, 0)
    onPiece()
    yield base.subarray(0, Math.min(PIECE, size - off))
  }
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000)

export const runCacheIoBench = async (options: CacheIoOptions = {}): Promise<CacheIoResult> => {
  const size = options.size ?? 2 ** 30
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), "clipcl-cache-io-"))
  const path = join(dir, "bench.sqlite")
    let peakWalBytes = 0
    let peakRssStreamingBytes = 0
    // Sampled on every 4 MiB piece (timers may not fire during a busy write).
    const sample = () => {
      try {
        peakWalBytes = Math.max(peakWalBytes, statSync(path + "-wal").size)
      } catch {
        // not created yet
      }
    }
  try {
    const storeOptions = {
      ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
      ...(options.fileThreshold !== undefined ? { fileThreshold: options.fileThreshold } : {}),
      ...(options.directIo !== undefined ? { directIo: options.directIo } : {})
    }
    let writeMs = 0
    let closeMs = 0
    let putDone = 0
    const hash = await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* make(path, storeOptions)
          const t0 = performance.now()
          const h = yield* s.putArtifact("checkpoint", source(size, sample))
          writeMs = performance.now() - t0
          putDone = performance.now()
          return h
        })
      )
    )
    // Closing the store (its last checkpoint) plus a full TRUNCATE checkpoint:
    // the cost of getting everything out of the WAL into the main file.
    {
      const db = new Database(path)
      db.pragma("wal_checkpoint(TRUNCATE)")
      db.close()
      closeMs = performance.now() - putDone
    }
    let scanMs = 0
    let streamMs = 0
    let wholeMs: number | null = null
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const s = yield* make(path, storeOptions)
          let scanned = 0
          const ts = performance.now()
          yield* s.scanArtifact(hash, (piece) => Effect.sync(() => void (scanned += piece.byteLength)))
          scanMs = performance.now() - ts
          if (scanned !== size) throw new Error(`scanned ${scanned} of ${size} bytes`)
          let n = 0
          const t0 = performance.now()
          yield* Stream.runForEach(s.streamArtifact(hash), (c) => Effect.sync(() => void (n += c.byteLength)))
          streamMs = performance.now() - t0
          if (n !== size) throw new Error(`streamed ${n} of ${size} bytes`)
          peakRssStreamingBytes = process.resourceUsage().maxRSS * 1024
          if (options.whole !== false) {
            const t1 = performance.now()
            const all = yield* s.readArtifact(hash)
            wholeMs = performance.now() - t1
            if (all.byteLength !== size) throw new Error("short whole read")
          }
        })
      )
    )
    const fresh = spawnSync(
      process.execPath,
      ["-e", `const t = performance.now(); Buffer.allocUnsafe(${size}).fill(1); console.log(performance.now() - t)`],
      { encoding: "utf8" }
    )
    const freshMs = Number(fresh.stdout.trim())
    return {
      freshMemoryMBps: mbps(size, freshMs),
      bytes: size,
      chunkSize: options.chunkSize ?? null,
      writeMBps: mbps(size, writeMs),
      writeMs,
      closeMs,
      writeAllMBps: mbps(size, writeMs + closeMs),
      scanReadMBps: mbps(size, scanMs),
      streamReadMBps: mbps(size, streamMs),
      wholeReadMBps: wholeMs === null ? null : mbps(size, wholeMs),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakWalBytes,
      peakRssStreamingBytes
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href

if (isMain) {
  const argv = process.argv.slice(2)
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const sizeArg = opt("--size")
  const chunkArg = opt("--chunk")
  const options: CacheIoOptions = {
    size: sizeArg ? Effect.runSync(parseSize(sizeArg)) : undefined,
    chunkSize: chunkArg ? Effect.runSync(parseSize(chunkArg)) : undefined,
    dir: opt("--dir"),
    whole: !argv.includes("--no-whole"),
    fileThreshold: opt("--file-threshold") ? Effect.runSync(parseSize(opt("--file-threshold")!)) : undefined,
    directIo: !argv.includes("--buffered")
  }
  const r = await runCacheIoBench(options)
  if (argv.includes("--json")) console.log(JSON.stringify(r))
  else {
    console.log(`cache I/O, ${formatBytes(r.bytes)} artifact (chunk ${formatBytes(r.chunkSize ?? 4 * 2 ** 20)}, ${options.directIo ? "direct I/O where allowed" : "buffered"})`)
    console.log(`  write (stream, sha256, fsync, publish): ${r.writeMBps.toFixed(0)} MB/s  (${(r.writeMs / 1000).toFixed(2)} s)`)
    console.log(`  then close + full WAL checkpoint:  ${(r.closeMs / 1000).toFixed(2)} s`)
    console.log(`  write counting both:               ${r.writeAllMBps.toFixed(0)} MB/s`)
    console.log(`  read (scan, borrowed, sha256):     ${r.scanReadMBps.toFixed(0)} MB/s`)
    console.log(`  read (stream, owned, sha256):      ${r.streamReadMBps.toFixed(0)} MB/s`)
    if (r.wholeReadMBps !== null) console.log(`  read (one buffer, sha256 verified): ${r.wholeReadMBps.toFixed(0)} MB/s`)
    console.log(`  (allocating + filling a fresh buffer of that size, alone: ${r.freshMemoryMBps.toFixed(0)} MB/s)`)
    console.log(`  peak RSS (streamed write + read):  ${formatBytes(r.peakRssStreamingBytes)}`)
    console.log(`  peak RSS (whole run):              ${formatBytes(r.peakRssBytes)}`)
    console.log(`  peak WAL size during the write:    ${formatBytes(r.peakWalBytes)}`)
  }
}
