/**
 * Short names for handles to the built-in output kinds, for the signatures of
 * pipeline helpers (`(p, base: CheckpointHandle) => TableHandle`).
 *
 * @since 0.1.0
 */
import type { checkpoint, table, tensors, value } from "./Output.js"
import type { Handle } from "./Pipeline.js"

/**
 * A handle to a stage output of kind `checkpoint` (a CLIP safetensors file).
 *
 * @since 0.1.0
 * @category models
 */
export type CheckpointHandle = Handle<typeof checkpoint>

/**
 * A handle to a stage output of kind `table`.
 *
 * @since 0.1.0
 * @category models
 */
export type TableHandle = Handle<typeof table>

/**
 * A handle to a stage output of kind `tensors`.
 *
 * @since 0.1.0
 * @category models
 */
export type TensorsHandle = Handle<typeof tensors>

/**
 * A handle to a stage output of kind `value` holding a `T`.
 *
 * @since 0.1.0
 * @category models
 */
export type ValueHandle<T> = Handle<ReturnType<typeof value<T>>>
