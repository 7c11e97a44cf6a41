/**
 * Output kinds of a stage, and the typed descriptors that make wiring
 * type-safe: a handle to a `value<number>()` output cannot be passed where a
 * `tensors` input is declared (compile error), because each descriptor
 * carries its kind and an invariant phantom type.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import type { ArtifactKind, Table } from "../formats/artifact.js"
import type { TensorSet } from "../formats/safetensors.js"

/**
 * The four kinds of artifact the cache knows how to encode and hash
 * (`formats/artifact.ts`'s `ArtifactKind`, the one union the cache uses too).
 *
 * @since 0.1.0
 * @category models
 */
export type OutputKind = ArtifactKind

export type { Table } from "../formats/artifact.js"
export type { DType, TensorData, TensorSet, TypedArray } from "../formats/safetensors.js"

/**
 * What a `table` stage may return: `{columns, rows}` or an array of row
 * objects (stored normalized to `{columns, rows}`, which is what inputs get).
 *
 * @since 0.1.0
 * @category models
 */
export type TableOutput = Table | ReadonlyArray<Readonly<Record<string, unknown>>>

/**
 * What a `checkpoint` stage returns: a tensor set (streamed out as
 * safetensors without a copy), ready bytes, or chunks, so a 2 GB checkpoint
 * never needs two whole copies in memory.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckpointBody = TensorSet | Uint8Array | AsyncIterable<Uint8Array>

/**
 * What a stage receives for a `checkpoint` input: a lazy reader.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckpointInput {
  readonly hash: string
  /** The whole checkpoint (one copy in memory), hash-verified. */
  readonly bytes: () => Promise<Uint8Array>
  /** Chunks as stored; the hash is verified when the stream ends. */
  readonly stream: () => AsyncIterable<Uint8Array>
  /** Decode a safetensors checkpoint straight from the stream (one copy: the result). */
  readonly tensors: () => Promise<TensorSet>
}

/**
 * A typed output descriptor. `T` is what `run` returns; `_T` is a phantom
 * marker that makes `T` invariant, so `value<number>` and `value<string>`
 * handles are not interchangeable.
 *
 * @since 0.1.0
 * @category models
 */
export interface OutputSpec<K extends OutputKind, T> {
  readonly kind: K
  /** Optional Schema the decoded JSON of a `value` output is checked against when read back. */
  readonly schema?: Schema.Schema<T, any, never>
  readonly _T?: (t: T) => T
}

/**
 * Any output descriptor.
 *
 * @since 0.1.0
 * @category models
 */
export type AnyOutputSpec = OutputSpec<OutputKind, any>

/**
 * A JSON value output of type `T` (canonical JSON in the cache).
 *
 * @since 0.1.0
 * @category constructors
 */
export const value = <T>(schema?: Schema.Schema<T, any, never>): OutputSpec<"value", T> =>
  schema === undefined ? { kind: "value" } : { kind: "value", schema }

/**
 * A set of named tensors (safetensors in the cache).
 *
 * @since 0.1.0
 * @category constructors
 */
export const tensors: OutputSpec<"tensors", TensorSet> = { kind: "tensors" }

/**
 * A model checkpoint (opaque bytes, streamed in chunks).
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkpoint: OutputSpec<"checkpoint", CheckpointBody> = { kind: "checkpoint" }

/**
 * A metrics table.
 *
 * @since 0.1.0
 * @category constructors
 */
export const table: OutputSpec<"table", TableOutput> = { kind: "table" }

/**
 * What `run` returns for an output descriptor.
 *
 * @since 0.1.0
 * @category models
 */
export type Produced<S> = S extends OutputSpec<any, infer T> ? T : never

/**
 * What a downstream stage receives for an input of this descriptor.
 *
 * @since 0.1.0
 * @category models
 */
export type Loaded<S> = S extends OutputSpec<"checkpoint", any>
  ? CheckpointInput
  : S extends OutputSpec<"table", any>
    ? Table
    : S extends OutputSpec<any, infer T>
      ? T
      : never
