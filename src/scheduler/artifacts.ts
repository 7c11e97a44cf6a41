/**
 * The bridge between stage values and cache artifacts: encode a stage's
 * output by its declared kind (with the cache's `codec.ts`) before
 * `putArtifact`, and decode an input artifact into what the downstream stage
 * receives. Stages never touch the cache.
 *
 * @since 0.1.0
 */
import { Effect, Schema, Stream } from "effect"
import type { CacheError } from "../cache/CacheError.js"
import type { CacheStoreService, ContentHash } from "../cache/CacheStore.js"
import { decodeOutput, encodeOutput, tensorsDecoder } from "../cache/codec.js"
import type { AnyOutputSpec, CheckpointInput } from "../dsl/Output.js"
import { StageFailed } from "./errors.js"

/**
 * Encode and store a stage's output; fails with `StageFailed` naming the
 * stage (and the offending path inside the value) when the value does not
 * fit its declared kind.
 *
 * @since 0.1.0
 * @category constructors
 */
export const storeOutput = (
  cache: CacheStoreService,
  spec: AnyOutputSpec,
  value: unknown,
  stage: string
): Effect.Effect<ContentHash, StageFailed | CacheError> =>
  encodeOutput(spec.kind, value).pipe(
    Effect.mapError((e) => new StageFailed({ stage, detail: `output (${spec.kind})${e.path ? ` at ${e.path}` : ""}: ${e.reason}`, cause: e })),
    Effect.flatMap((body) => cache.putArtifact(spec.kind, body))
  )

/**
 * Read an input artifact and decode it for the stage that declared `spec`.
 * A checkpoint is not read here: the stage gets a lazy reader.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadInput = (
  cache: CacheStoreService,
  spec: AnyOutputSpec,
  hash: ContentHash,
  stage: string,
  input: string
): Effect.Effect<unknown, StageFailed | CacheError> => {
  const bad = (detail: string) => new StageFailed({ stage, detail: `input '${input}' (${hash.slice(0, 12)}): ${detail}` })
  if (spec.kind === "checkpoint") {
    const ref: CheckpointInput = {
      hash,
      bytes: () => Effect.runPromise(cache.readArtifact(hash)),
      stream: () => Stream.toAsyncIterable(cache.streamArtifact(hash)),
      // Borrowed pieces straight into the tensors: no memory per piece.
      tensors: () =>
        Effect.runPromise(
          Effect.suspend(() => {
            const decoder = tensorsDecoder()
            return Effect.zipRight(cache.scanArtifact(hash, decoder.push), decoder.end())
          })
        )
    }
    return Effect.succeed(ref)
  }
  return cache.readArtifact(hash).pipe(
    Effect.flatMap((bytes) => Effect.mapError(decodeOutput(spec.kind, bytes), (e) => bad(e.reason))),
    Effect.flatMap((v) => (spec.schema === undefined ? Effect.succeed(v) : Effect.mapError(Schema.decodeUnknown(spec.schema)(v), (e) => bad(e.message))))
  )
}
