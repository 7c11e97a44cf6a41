/**
 * Uploads: a put streams its bytes into a fresh blob (chunk rows, or a blob
 * file past the threshold), hashes them on the way and publishes the blob
 * under its hash in one short transaction; small buffers go through the
 * group commit instead. Also the freeing of a blob that is no longer needed.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Effect, Stream } from "effect"
import { CorruptArtifact, type CacheError, type StoreFailed } from "../CacheError.js"
import type { ArtifactKind, CacheStoreService, ContentHash } from "../CacheStore.js"
import { createBlobFile, ensureBlobDir, removeBlobFile, type BlobFileWriter } from "./blobFiles.js"
import type { StoreContext } from "./context.js"
import type { Reads } from "./reads.js"
import type { ArtifactRow } from "./rows.js"
import type { Sessions } from "./sessions.js"

/** Chunks deleted per transaction when freeing a blob: keeps each write short. */
const DELETE_BATCH = 16
/** Largest buffer put through the group commit (one chunk, copied while pending). */
const SMALL_PUT = 1024 * 1024

const asyncPieces = (body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncIterable<Uint8Array> =>
  Symbol.asyncIterator in body
    ? (body as AsyncIterable<Uint8Array>)
    : (async function* () {
        yield* body as Iterable<Uint8Array>
      })()

/** The write side of a store. */
export interface Uploads extends Pick<CacheStoreService, "putArtifact"> {
  /** Stream a body into the store under its hash (`expected`: the hash it must have). */
  readonly upload: (
    kind: ArtifactKind,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: string
  ) => Effect.Effect<ContentHash, CacheError>
  /** Delete a blob's chunks in short transactions and its file, then its uploads row. */
  readonly freeBlob: (blob: number) => void
}

export const makeUploads = (ctx: StoreContext, sessions: Sessions, reads: Reads): Uploads => {
  const { db, st, batch, sql, fail, blobs, direct, host, now, chunkSize, fileThreshold, touch } = ctx
  const { ensureSession, claimRow } = sessions
  const { check } = reads
  /** Buffers up to this size are group-committed; larger ones stream through an upload. */
  const smallPut = Math.min(chunkSize, SMALL_PUT)

  const freeBlob = (blob: number): void => {
    for (;;) {
      const top = st.maxChunk.get(blob) as number | null
      if (top === null) break
      const from = Math.max(0, top - DELETE_BATCH + 1)
      db.transaction(() => db.prepare("DELETE FROM chunks WHERE blob = ? AND idx >= ?").run(blob, from)).immediate()
    }
    if (blobs !== null) removeBlobFile(blobs, blob)
    st.deleteUpload.run(blob)
  }

  /** Blob files are created lazily (a store of small artifacts never makes the folder). */
  let blobDirReady = false
  const newBlobFile = (blob: number): BlobFileWriter => {
    if (!blobDirReady) {
      ensureBlobDir(blobs!)
      blobDirReady = true
    }
    return createBlobFile(blobs!, blob, direct)
  }

  /**
   * Stream `body` into a fresh blob, hash it on the way, then publish it
   * under its hash (or drop it if that hash is already stored).
   *
   * The first `fileThreshold` bytes are held in memory (in chunk-size
   * pieces). A body that ends within them becomes chunk rows, each inserted
   * in its own short transaction; a larger one becomes a blob file
   * (blobFiles.ts): the held pieces are written to it and the rest streams
   * straight in, each piece hashed while the kernel copies it. An in-memory
   * store always uses chunk rows. Interrupted or failed writes free their
   * blob; a killed process leaves an uploads row that the next open or gc
   * sweeps (with its chunks and file).
   */
  const upload = (
    kind: ArtifactKind,
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    expected?: string
  ): Effect.Effect<ContentHash, CacheError> => {
    let file: BlobFileWriter | null = null
    return Effect.acquireUseRelease(
      sql("putArtifact", () => {
        ensureSession()
        const t = now()
        return Number(st.newUpload.run("writing", process.pid, host, t, t).lastInsertRowid)
      }),
      (blob) =>
        Effect.gen(function* () {
          const hasher = createHash("sha256")
          let size = 0
          let idx = 0
          let buf: Buffer | null = null
          let fill = 0
          /** Chunks held while it is open whether the body fits under the threshold (null: rows go straight in). */
          let held: Array<Uint8Array> | null = blobs === null ? null : []
          let sinceTouch = 0
          const touchEvery = 16 * chunkSize
          const touched = (n: number): void => {
            sinceTouch += n
            if (sinceTouch >= touchEvery) {
              sinceTouch = 0
              st.touchUpload.run(now(), blob)
            }
          }
          const emit = (data: Uint8Array, copy: boolean): void => {
            if (held !== null) held.push(copy ? Uint8Array.prototype.slice.call(data) : data)
            else {
              st.insertChunk.run(blob, idx, data)
              touched(data.byteLength)
            }
            idx++
          }
          /** Cut a piece into chunks (rows, or held). */
          const cut = (piece: Uint8Array): void => {
            let off = 0
            while (off < piece.byteLength) {
              if (fill === 0 && piece.byteLength - off >= chunkSize) {
                emit(piece.subarray(off, off + chunkSize), true)
                off += chunkSize
                continue
              }
              buf ??= Buffer.allocUnsafe(chunkSize)
              const n = Math.min(chunkSize - fill, piece.byteLength - off)
              buf.set(piece.subarray(off, off + n), fill)
              fill += n
              off += n
              if (fill === chunkSize) {
                emit(buf, false)
                // A held buffer is kept: the next chunk needs its own.
                if (held !== null) buf = null
                fill = 0
              }
            }
          }
          const writeFile = (data: Uint8Array, hash: boolean): Effect.Effect<void, StoreFailed> =>
            // Uninterruptible per piece: a write in flight must finish before the file is closed.
            Effect.uninterruptible(
              Effect.tryPromise({
                try: async () => {
                  const w = file!.write(data)
                  if (hash) hasher.update(data)
                  await w
                  touched(data.byteLength)
                },
                catch: fail("putArtifact: writing the blob file")
              })
            )
          /** Past the threshold: open the file and move the held chunks into it. */
          const toFile = Effect.gen(function* () {
            file = yield* sql("putArtifact", () => newBlobFile(blob))
            for (const c of held!) yield* writeFile(c, false)
            if (fill > 0) yield* writeFile(buf!.subarray(0, fill), false)
            held = null
            buf = null
            fill = 0
          })
          yield* Stream.fromAsyncIterable(asyncPieces(body), fail("putArtifact: reading the body")).pipe(
            Stream.runForEach((piece) => {
              if (file !== null) {
                size += piece.byteLength
                return writeFile(piece, true)
              }
              return Effect.flatMap(
                sql("putArtifact", () => {
                  hasher.update(piece)
                  size += piece.byteLength
                  cut(piece)
                  return held !== null && size > fileThreshold
                }),
                (past) => (past ? toFile : Effect.void)
              )
            })
          )
          if (file !== null) yield* Effect.uninterruptible(Effect.tryPromise({ try: () => file!.finish(), catch: fail("putArtifact: syncing the blob file") }))
          else
            yield* sql("putArtifact", () => {
              if (held !== null) {
                // Under the threshold: the held chunks become rows after all.
                const rest = held
                held = null
                idx = 0
                for (const c of rest) emit(c, false)
              }
              if (fill > 0 && buf !== null) emit(buf.subarray(0, fill), false)
            })
          const hash = hasher.digest("hex")
          if (expected !== undefined && expected !== hash)
            return yield* new CorruptArtifact({ hash: expected, actual: hash, detail: "bytes do not match the declared hash" })
          const inFile = file !== null
          const chunks = inFile ? 0 : idx
          const published = yield* sql("putArtifact", () =>
            db.transaction(() => {
              if (st.uploadExists.get(blob) === undefined)
                throw new Error("the upload was swept as abandoned before it finished")
              const t = Math.max(now(), sessions.sessionStart())
              const fresh = st.publish.run(hash, blob, kind, size, chunks, t, t, inFile ? 1 : 0).changes === 1
              if (fresh) st.deleteUpload.run(blob)
              // Already stored: claim it (gc must not take it from under this session).
              else st.claim.run(t, hash)
              return fresh
            }).immediate()
          )
          if (!published)
            yield* sql("putArtifact", () => {
              // A stored copy that is missing or damaged is replaced by this one (the repair path).
              if (!replaceIfDamaged(hash, blob, kind, size, chunks, inFile)) freeBlob(blob)
            })
          return hash as ContentHash
        }),
      (blob, exit) =>
        Effect.promise(async () => {
          if (exit._tag !== "Failure") return
          // Writes in flight finish before the file is closed and deleted.
          await (file as BlobFileWriter | null)?.abort()
          try {
            if (db.open && !hasPublished(blob)) freeBlob(blob)
          } catch {
            // Left for the sweep on next open / gc.
          }
        })
    )
  }

  /**
   * After a put found `hash` already stored: re-hash the stored copy and, if
   * it is missing or damaged, publish the new blob under the hash instead
   * (keys bound to the hash stay bound). True when the new blob was kept.
   */
  const replaceIfDamaged = (hash: string, blob: number, kind: ArtifactKind, size: number, chunks: number, inFile: boolean): boolean => {
    const old = st.artifact.get(hash) as ArtifactRow | undefined
    if (old !== undefined && check(old) === null) return false
    const kept = db.transaction(() => {
      const now_ = st.artifact.get(hash) as ArtifactRow | undefined
      // Another process replaced it meanwhile: its copy stands.
      if (now_ !== undefined && now_.blob !== old?.blob) return false
      if (st.uploadExists.get(blob) === undefined) throw new Error("the upload was swept as abandoned before it finished")
      const t = Math.max(now(), sessions.sessionStart())
      if (now_ === undefined) st.publish.run(hash, blob, kind, size, chunks, t, t, inFile ? 1 : 0)
      else {
        db.prepare("UPDATE artifacts SET blob = ?, kind = ?, size = ?, chunks = ?, file = ?, last_used_at = max(last_used_at, ?) WHERE hash = ?").run(
          blob, kind, size, chunks, inFile ? 1 : 0, t, hash
        )
        db.prepare("INSERT INTO uploads(id, state, pid, host, started_at, touched_at) VALUES (?, 'deleting', ?, ?, ?, ?)").run(
          now_.blob, process.pid, host, t, t
        )
      }
      st.deleteUpload.run(blob)
      return true
    }).immediate()
    if (kept && old !== undefined) freeBlob(old.blob)
    return kept
  }

  const hasPublished = (blob: number): boolean =>
    db.prepare("SELECT 1 FROM artifacts WHERE blob = ?").pluck().get(blob) !== undefined

  /**
   * Whether a buffer put can skip writing: true when the hash is pending or
   * stored with sound bytes (claimed for this session), null when stored but
   * missing or damaged, false when not stored.
   */
  const storedSound = (hash: string): boolean | null => {
    if (batch.hasArtifact(hash)) return true
    const row = claimRow(hash)
    if (row === undefined) return false
    return check(row) === null ? true : null
  }

  return {
    putArtifact: (kind, body) =>
      body instanceof Uint8Array
        ? Effect.flatMap(
            Effect.sync(() => createHash("sha256").update(body).digest("hex")),
            (hash) =>
              Effect.flatMap(sql("putArtifact", () => storedSound(hash)), (exists) => {
                if (exists) {
                  touch(hash)
                  return Effect.succeed(hash as ContentHash)
                }
                // Stored but damaged: a full upload replaces the copy (see replaceIfDamaged).
                if (exists === null) return upload(kind, [body], hash)
                if (body.byteLength <= smallPut)
                  return sql("putArtifact", () => {
                    batch.addArtifact(hash, kind, body)
                    return hash as ContentHash
                  })
                return upload(kind, [body], hash)
              })
          )
        : upload(kind, body),
    upload,
    freeBlob
  }
}
