/**
 * The non-terminal logger: the engine's plain lines
 * (`src/ui/plain.ts`: one line per state change, progress at most every few
 * seconds per stage, no escape codes), plus, under a failed stage, the
 * cause and where to read its log, and a results table at the end when one
 * is given. Everything it writes is stripped of escape codes, since stage
 * messages may carry them.
 *
 * @since 0.1.0
 */
import type { EngineEvent } from "../scheduler/Event.js"
import { stripAnsi } from "./format.js"
import { causeLine } from "./state.js"
import { makePlainLogger as makeEngineLogger, type PlainLoggerOptions } from "./plain.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PlainLinesOptions extends PlainLoggerOptions {
  /** Text to print after the summary line (e.g. `renderTable(...)` of the results). */
  readonly afterSummary?: () => string | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makePlainLines = (write: (text: string) => void, options: PlainLinesOptions = {}): ((event: EngineEvent) => void) => {
  const out = (t: string) => write(stripAnsi(t))
  const base = makeEngineLogger(out, options)
  return (e) => {
    base(e)
    if (e.type === "stage" && e.status === "failed" && e.error) {
      const cause = causeLine(e.error)
      if (cause) out(`          cause: ${cause}\n`)
      out(`          log: ${e.error.logPath ?? `clipcl logs ${e.stage}`}\n`)
    }
    if (e.type === "summary" && options.afterSummary) {
      const extra = options.afterSummary()
      if (extra) out(extra.endsWith("\n") ? extra : extra + "\n")
    }
  }
}
