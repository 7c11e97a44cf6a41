/**
 * The ink live view as a renderer for `clipcl run` in a terminal (chosen by
 * `src/cli/render.ts` when stdout is a TTY and `--no-tui` is absent). It is
 * one more consumer of the scheduler's event stream: `onEvent` feeds the
 * reducer, a timer ticks the clock for spinners and ETAs, and `close`
 * leaves the final frame (stage list, summary, results table) on screen.
 *
 * @since 0.1.0
 */
import { render } from "ink"
import type { EngineEvent } from "../scheduler/Event.js"
import { LiveApp } from "./App.js"
import { makePlainLines } from "./plainLogger.js"
import { initialState, type TableData, type UiState } from "./state.js"
import { makeStore } from "./store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LiveRendererOptions {
  readonly stdout: NodeJS.WriteStream
  readonly stdin?: NodeJS.ReadStream
  /**
   * Stop the run (`q` / Ctrl-C). Default: raise the process's own SIGINT
   * listeners, which is where the CLI's interrupt handler sits (in raw mode
   * the terminal sends no SIGINT for Ctrl-C).
   */
  readonly onInterrupt?: () => void
  /**
   * The table to show under the summary, asked for once the run is over
   * ({@link showsResults}); undefined shows none.
   */
  readonly results?: (state: UiState) => Promise<TableData | undefined> | TableData | undefined
  /** Clock tick in ms (default 500): spinners and elapsed times move at least this often. */
  readonly tickMs?: number
  /** Redraw at most once per this many ms for engine events (default 200; keys redraw at once). */
  readonly coalesceMs?: number
}

/**
 * The same shape as `src/cli/render.ts`'s `Renderer`.
 *
 * @since 0.1.0
 * @category models
 */
export interface LiveRenderer {
  readonly onEvent: (event: EngineEvent) => void
  readonly close: () => Promise<void>
}

/**
 * Raise SIGINT to this process's listeners without a real signal (so a
 * process with no listener is not killed by a key press); if none listens,
 * send the real signal, whose default is to end the process.
 *
 * @since 0.1.0
 * @category utils
 */
export const interruptProcess = (): void => {
  if (process.listenerCount("SIGINT") > 0) process.emit("SIGINT", "SIGINT")
  else process.kill(process.pid, "SIGINT")
}

/**
 * Whether a run is over, so the results table may be asked for (the
 * `results` callback decides whether there is one: the UI knows no stage
 * kinds).
 *
 * @since 0.1.0
 * @category utils
 */
export const showsResults = (state: UiState): boolean => state.summary !== undefined

/**
 * Whether `CI` (or `CONTINUOUS_INTEGRATION`) is set, as ink reads it: ink
 * then paints only the last frame, so a terminal in CI gets plain lines.
 *
 * @since 0.1.0
 * @category utils
 */
export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean =>
  ["CI", "CONTINUOUS_INTEGRATION"].some((k) => k in env && env[k] !== "0" && env[k] !== "false")

/**
 * Start the live view on `stdout` (plain lines when {@link inCi}).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLiveRenderer = (options: LiveRendererOptions): LiveRenderer => {
  if (inCi()) {
    const write = (t: string) => void options.stdout.write(t)
    return { onEvent: makePlainLines(write), close: async () => {} }
  }
  const store = makeStore(initialState(Date.now()), options.coalesceMs ?? 200)
  const instance = render(<LiveApp store={store} onInterrupt={options.onInterrupt ?? interruptProcess} />, {
    stdout: options.stdout,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: 5
  })
  const timer = setInterval(() => store.dispatch({ type: "tick", now: Date.now() }), options.tickMs ?? 500)
  timer.unref()
  let closed: Promise<void> | undefined
  return {
    onEvent: (e) => store.dispatch(e),
    close: () =>
      (closed ??= (async () => {
        clearInterval(timer)
        if (options.results && showsResults(store.get())) {
          try {
            const table = await options.results(store.get())
            if (table) store.dispatch({ type: "results", table })
          } catch {
            // The results table is a courtesy: `clipcl results` reports its errors.
          }
        }
        // Let ink paint the final state before unmounting (its renders are throttled).
        await new Promise((r) => setTimeout(r, 60))
        instance.unmount()
        await instance.waitUntilExit()
      })())
  }
}
