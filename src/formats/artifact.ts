/**
 * The kinds of artifact a stage may declare as its output and the cache
 * knows how to encode and hash, and the in-memory shape of a table. The DSL
 * (what a stage declares) and the cache (how it is stored) both use these;
 * neither depends on the other.
 *
 * @since 0.1.0
 */

/**
 * - `value`: JSON data (canonical JSON in the cache);
 * - `tensors`: a named set of tensors (safetensors);
 * - `checkpoint`: a model (safetensors or opaque bytes, streamed);
 * - `table`: a metrics table (canonical JSON of `{columns, rows}`).
 *
 * @since 0.1.0
 * @category models
 */
export type ArtifactKind = "value" | "tensors" | "checkpoint" | "table"

/**
 * A metrics table.
 *
 * @since 0.1.0
 * @category models
 */
export interface Table {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
}
