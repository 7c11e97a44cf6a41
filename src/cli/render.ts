/**
 * The one place where the CLI picks how events are shown: `--json` ->
 * NDJSON; a TTY without `--no-tui` -> the ink live view (`src/ui/live.tsx`,
 * when present); otherwise plain lines. Each renderer is a consumer of the
 * scheduler's event PubSub.
 *
 * A live view module must export
 * `makeLiveRenderer(options: { stdout: NodeJS.WriteStream }): Renderer | Promise<Renderer>`.
 *
 * @since 0.1.0
 */
import { Effect, Queue } from "effect"
import type { EngineEvent } from "../scheduler/Event.js"
import { makeNdjsonLogger } from "../ui/ndjson.js"
import { makePlainLines } from "../ui/plainLogger.js"

/**
 * A consumer of engine events.
 *
 * @since 0.1.0
 * @category models
 */
export interface Renderer {
  readonly onEvent: (event: EngineEvent) => void
  /** Called after each batch of events (output may be buffered until then). */
  readonly flush?: () => void
  /** Flush and release the terminal. */
  readonly close: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RenderChoice {
  readonly json: boolean
  readonly noTui: boolean
  readonly isTTY: boolean
  readonly write: (text: string) => void
}

/**
 * Pick the renderer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const chooseRenderer = async (choice: RenderChoice): Promise<Renderer> => {
  if (choice.json) {
    // One write per batch of events rather than per line: a cached 10,000-stage run is 10,000 lines.
    let lines: Array<string> = []
    const flush = () => {
      if (lines.length === 0) return
      const text = lines.join("")
      lines = []
      choice.write(text)
    }
    return { onEvent: makeNdjsonLogger((t) => void lines.push(t)), flush, close: async () => flush() }
  }
  if (choice.isTTY && !choice.noTui) {
    // Loaded only here: ink and React cost a start that prints no live view.
    const { makeLiveRenderer } = await import("../ui/live.js")
    return await makeLiveRenderer({ stdout: process.stdout })
  }
  return { onEvent: makePlainLines(choice.write), close: async () => {} }
}

/**
 * Feed events from a subscription to a renderer until the `summary` event.
 *
 * @since 0.1.0
 * @category utils
 */
export const consumeUntilSummary = (sub: Queue.Dequeue<EngineEvent>, renderer: Renderer): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (;;) {
      const first = yield* Queue.take(sub)
      const rest = yield* Queue.takeAll(sub)
      let done = false
      renderer.onEvent(first)
      if (first.type === "summary") done = true
      for (const e of rest) {
        renderer.onEvent(e)
        if (e.type === "summary") done = true
      }
      renderer.flush?.()
      if (done) return
    }
  })
