/**
 * The local executor: a stage runs in this process (`runStage`).
 *
 * @since 0.1.0
 */
import type { Executor } from "../Executor.js"
import { runStage } from "../runStage.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const localExecutor: Executor = { name: "local", run: runStage, allotsResources: false }
