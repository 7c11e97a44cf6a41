/**
 * Reads of stored artifacts: whole, streamed or scanned, from chunk rows or
 * a blob file, each checked against its size and hash (a mismatch is a
 * CorruptArtifact, never bytes handed on), and the re-hash that verify and
 * the repair path use.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Effect, Option, Stream } from "effect"
import type { Scope } from "effect"
import { CorruptArtifact, MissingArtifact, type CacheError } from "../CacheError.js"
import type { CacheStoreService, ContentHash } from "../CacheStore.js"
import { BlobFileDamaged, openBlobReader, readBlobFileSync, type BlobFileReader, type ReadInto } from "./blobFiles.js"
import type { StoreContext } from "./context.js"
import type { ArtifactRow } from "./rows.js"
import type { Sessions } from "./sessions.js"

/** The read side of a store. */
export interface Reads extends Pick<CacheStoreService, "readArtifact" | "streamArtifact" | "scanArtifact" | "hasArtifact"> {
  /** An artifact's bytes as borrowed pieces, read synchronously (verify, export); throws CorruptArtifact when parts are missing. */
  readonly pieces: (row: ArtifactRow) => Iterable<Uint8Array>
  /** Re-hash one artifact; null when sound, else what is wrong. */
  readonly check: (row: ArtifactRow) => { actual: string | null; detail: string } | null
}

export const makeReads = (ctx: StoreContext, sessions: Sessions): Reads => {
  const { st, sql, fail, blobs, direct, touch } = ctx
  const { claimRow } = sessions
  const readChunk = (blob: number, idx: number): Buffer | undefined => st.chunk.get(blob, idx) as Buffer | undefined

  const requireArtifact = (hash: ContentHash, operation: string): Effect.Effect<ArtifactRow, CacheError> =>
    Effect.flatMap(sql(operation, () => claimRow(hash)), (row) =>
      row === undefined ? Effect.fail(new MissingArtifact({ hash })) : Effect.succeed(row)
    )

  const chunkOrCorrupt = (row: ArtifactRow, idx: number): Buffer => {
    const data = readChunk(row.blob, idx)
    if (data === undefined) throw new CorruptArtifact({ hash: row.hash, detail: `chunk ${idx} of ${row.chunks} is missing` })
    return data
  }

  /** Throws CorruptArtifact unless the bytes hashed into `hasher` are the artifact's name. */
  const checkHash = (row: ArtifactRow, hasher: ReturnType<typeof createHash>): void => {
    const actual = hasher.digest("hex")
    if (actual !== row.hash) throw new CorruptArtifact({ hash: row.hash, actual, detail: "content does not hash to its name" })
  }

  const readAll = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    row.file === 1 ? readAllFile(row) : readAllRows(row)

  const readAllRows = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    Effect.try({
      try: () => {
        const hasher = createHash("sha256")
        let out: Buffer
        if (row.chunks === 1) {
          out = chunkOrCorrupt(row, 0)
          hasher.update(out)
        } else {
          out = Buffer.allocUnsafe(row.size)
          let off = 0
          for (let i = 0; i < row.chunks; i++) {
            const c = chunkOrCorrupt(row, i)
            if (off + c.byteLength > row.size) throw sizeMismatch(row)
            out.set(c, off)
            hasher.update(c)
            off += c.byteLength
          }
          if (off !== row.size) throw sizeMismatch(row)
        }
        if (out.byteLength !== row.size) throw sizeMismatch(row)
        checkHash(row, hasher)
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
      },
      catch: (e) => (e instanceof CorruptArtifact ? e : fail("readArtifact")(e))
    })

  const sizeMismatch = (row: ArtifactRow) =>
    new CorruptArtifact({ hash: row.hash, detail: `stored chunks do not add up to ${row.size} bytes` })

  const streamRow = (row: ArtifactRow): Stream.Stream<Uint8Array, CacheError> =>
    row.file === 1 ? streamFile(row) : streamRows(row, "streamArtifact")

  /** Chunk rows in order (each a fresh buffer from SQLite), then the size and hash checked. */
  const streamRows = (row: ArtifactRow, operation: string): Stream.Stream<Uint8Array, CacheError> =>
    Stream.suspend(() => {
      const hasher = createHash("sha256")
      let read = 0
      return Stream.unfoldEffect(0, (idx) =>
        Effect.try({
          try: (): Option.Option<readonly [Uint8Array, number]> => {
            if (idx < row.chunks) {
              const c = chunkOrCorrupt(row, idx)
              hasher.update(c)
              read += c.byteLength
              if (read > row.size) throw sizeMismatch(row)
              return Option.some([new Uint8Array(c.buffer, c.byteOffset, c.byteLength), idx + 1] as const)
            }
            if (read !== row.size) throw sizeMismatch(row)
            checkHash(row, hasher)
            return Option.none()
          },
          catch: (e) => (e instanceof CorruptArtifact ? e : fail(operation)(e))
        })
      )
    })

  // ---- reads of blob files ---------------------------------------------------
  const damaged = (row: ArtifactRow) => (e: unknown): unknown =>
    e instanceof BlobFileDamaged ? new CorruptArtifact({ hash: row.hash, detail: e.detail }) : e
  const asCacheError = (row: ArtifactRow, operation: string) => (e: unknown): CacheError => {
    const d = damaged(row)(e)
    return d instanceof CorruptArtifact ? d : fail(operation)(d)
  }

  /** A blob file's reader as a scoped resource (reads in flight finish before it closes). */
  const blobReader = (row: ArtifactRow, operation: string, into: ReadInto): Effect.Effect<BlobFileReader, CacheError, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.try({ try: () => openBlobReader(blobs!, row.blob, row.size, { ...direct, into }), catch: asCacheError(row, operation) }),
      (r) => Effect.promise(() => r.close())
    )

  /**
   * Every piece of a blob file, hashed, handed to `f` (borrowed pieces when
   * `into` is "pool": valid until `f`'s effect completes), then the whole
   * checked against the name. Returns the reader's whole buffer, if any.
   */
  const scanFile = <E, R>(
    row: ArtifactRow,
    operation: string,
    into: ReadInto,
    f: (piece: Uint8Array) => Effect.Effect<void, E, R>
  ): Effect.Effect<Uint8Array | null, CacheError | E, R> =>
    Effect.scoped(
      Effect.gen(function* () {
        const reader = yield* blobReader(row, operation, into)
        const hasher = createHash("sha256")
        for (;;) {
          const piece = yield* Effect.tryPromise({ try: () => reader.next(), catch: asCacheError(row, operation) })
          if (piece === null) break
          hasher.update(piece)
          yield* f(piece)
        }
        yield* Effect.try({ try: () => checkHash(row, hasher), catch: asCacheError(row, operation) })
        return reader.whole
      })
    )

  /** The whole file, read straight into one fresh buffer (pieces in flight while the last is hashed). */
  const readAllFile = (row: ArtifactRow): Effect.Effect<Uint8Array, CacheError> =>
    Effect.map(scanFile(row, "readArtifact", "whole", () => Effect.void), (whole) => whole!)

  /** Pieces the consumer owns: each read into its own fresh buffer. */
  const streamFile = (row: ArtifactRow): Stream.Stream<Uint8Array, CacheError> =>
    Stream.unwrapScoped(
      Effect.map(blobReader(row, "streamArtifact", "fresh"), (reader) => {
        const hasher = createHash("sha256")
        return Stream.repeatEffectOption(
          Effect.tryPromise({
            try: async (): Promise<Option.Option<Uint8Array>> => {
              const piece = await reader.next()
              if (piece === null) {
                checkHash(row, hasher)
                return Option.none()
              }
              hasher.update(piece)
              return Option.some(piece)
            },
            catch: (e) => Option.some(asCacheError(row, "streamArtifact")(e))
          }).pipe(Effect.flatMap(Option.match({ onNone: () => Effect.fail(Option.none()), onSome: Effect.succeed })))
        )
      })
    )

  /** An artifact's bytes as borrowed pieces, read synchronously (verify, export); throws CorruptArtifact when parts are missing. */
  function* pieces(row: ArtifactRow): Generator<Uint8Array> {
    if (row.file === 1) {
      if (blobs === null) throw new CorruptArtifact({ hash: row.hash, detail: "its blob file is missing" })
      try {
        yield* readBlobFileSync(blobs, row.blob, row.size, direct)
      } catch (e) {
        throw damaged(row)(e)
      }
      return
    }
    for (let i = 0; i < row.chunks; i++) yield chunkOrCorrupt(row, i)
  }

  /** Re-hash one artifact; null when sound, else what is wrong. */
  const check = (row: ArtifactRow): { actual: string | null; detail: string } | null => {
    const hasher = createHash("sha256")
    let read = 0
    try {
      for (const c of pieces(row)) {
        hasher.update(c)
        read += c.byteLength
      }
    } catch (e) {
      if (e instanceof CorruptArtifact) return { actual: null, detail: e.detail }
      throw e
    }
    const actual = hasher.digest("hex")
    if (read !== row.size) return { actual, detail: `stored ${row.file === 1 ? "file" : "chunks"} hold ${read} bytes, expected ${row.size}` }
    if (actual !== row.hash) return { actual, detail: "content does not hash to its name" }
    return null
  }

  return {
    readArtifact: (hash) =>
      Effect.flatMap(requireArtifact(hash, "readArtifact"), (row) =>
        Effect.tap(readAll(row), () => Effect.sync(() => touch(hash)))
      ),

    streamArtifact: (hash) =>
      Stream.unwrap(
        Effect.map(requireArtifact(hash, "streamArtifact"), (row) => {
          touch(hash)
          return streamRow(row)
        })
      ),

    scanArtifact: (hash, f) =>
      Effect.flatMap(requireArtifact(hash, "scanArtifact"), (row) => {
        touch(hash)
        return row.file === 1
          ? Effect.asVoid(scanFile(row, "scanArtifact", "pool", f))
          : Stream.runForEach(streamRows(row, "scanArtifact"), f)
      }),

    hasArtifact: (hash) => sql("hasArtifact", () => ctx.hasArtifact(hash)),

    pieces,
    check
  }
}
