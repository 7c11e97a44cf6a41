/**
 * The NDJSON writer behind `--json`: every scheduler event as one JSON line
 * on stdout. External checks rely on `stage` events (`stage`, `key`,
 * `status`) and the final `summary`.
 *
 * @since 0.1.0
 */
import type { EngineEvent } from "../scheduler/Event.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeNdjsonLogger = (write: (text: string) => void): ((event: EngineEvent) => void) => (e) => {
  write(JSON.stringify(e) + "\n")
}
