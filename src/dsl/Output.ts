/**
 * Output kinds of a stage, and the typed descriptors that make wiring
 * type-safe: a handle to a `value<number>()` output cannot be passed where a
 * `tensors` input is declared (compile error), because each descriptor
 * carries its kind and an invariant phantom type.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"

/**
 * The four kinds of artifact the cache knows how to encode and hash.
 *
 * @since 0.1.0
 * @category models
 */
export type OutputKind = "value" | "tensors" | "checkpoint" | "table"

/**
 * Element types a tensor set may hold.
 *
 * @since 0.1.0
 * @category models
 */
export type TensorDType = "float32" | "int32" | "uint8" | "bool" | "float16" | "bfloat16" | "int8" | "int16" | "float64" | "int64"

/**
 * One named tensor: plain typed array plus shape (no tfjs dependency).
 *
 * @since 0.1.0
 * @category models
 */
export interface TensorData {
  readonly dtype: TensorDType
  readonly shape: ReadonlyArray<number>
  readonly data: Float32Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Float64Array | BigInt64Array
}

/**
 * A `tensors` output: named tensors.
 *
 * @since 0.1.0
 * @category models
 */
export type TensorSet = Readonly<Record<string, TensorData>>

/**
 * A `table` output: named columns and rows (or an array of row objects).
 *
 * @since 0.1.0
 * @category models
 */
export type Table =
  | { readonly columns: ReadonlyArray<string>; readonly rows: ReadonlyArray<ReadonlyArray<unknown>> }
  | ReadonlyArray<Readonly<Record<string, unknown>>>

/**
 * What a `checkpoint` stage returns: bytes, or chunks streamed so a 2 GB
 * checkpoint never needs two whole copies in memory.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckpointBody = Uint8Array | AsyncIterable<Uint8Array>

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
export const table: OutputSpec<"table", Table> = { kind: "table" }

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
export type Loaded<S> = S extends OutputSpec<"checkpoint", any> ? CheckpointInput : S extends OutputSpec<any, infer T> ? T : never
