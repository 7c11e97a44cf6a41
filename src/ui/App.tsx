/**
 * The live view as an ink app: reads the store, follows the terminal size,
 * and maps keys to actions. `q` / Ctrl-C call `onInterrupt` (the CLI stops
 * the run: running stages are interrupted, nothing partial is cached, the
 * summary follows); arrows and `j` `k` move the focus between running
 * stages; `l` shows or hides the log pane.
 *
 * @since 0.1.0
 */
import { useInput, useStdin, useStdout } from "ink"
import { useEffect, useState, useSyncExternalStore, type ReactNode } from "react"
import { LiveView } from "./components/views.js"
import type { UiStore } from "./store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LiveAppProps {
  readonly store: UiStore
  /** Called on each `q` / Ctrl-C (a second call may mean "quit now"). */
  readonly onInterrupt: () => void
  /** Fixed size (tests); default the terminal's, following resizes. */
  readonly width?: number
  readonly height?: number
}

const useTerminalSize = (): { readonly columns: number; readonly rows: number } => {
  const { stdout } = useStdout()
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 })
  const [size, setSize] = useState(read)
  useEffect(() => {
    const onResize = () => setSize(read())
    stdout.on("resize", onResize)
    return () => {
      stdout.off("resize", onResize)
    }
  }, [stdout])
  return size
}

/**
 * @since 0.1.0
 * @category components
 */
export const LiveApp = ({ store, onInterrupt, width, height }: LiveAppProps): ReactNode => {
  const state = useSyncExternalStore(store.subscribe, store.get, store.get)
  const size = useTerminalSize()
  const { isRawModeSupported } = useStdin()
  useInput(
    (input, key) => {
      if (input === "q" || (key.ctrl && input === "c")) {
        store.dispatch({ type: "stopping" })
        onInterrupt()
      } else if (input === "j" || key.downArrow) store.dispatch({ type: "focus", delta: 1 })
      else if (input === "k" || key.upArrow) store.dispatch({ type: "focus", delta: -1 })
      else if (input === "l") store.dispatch({ type: "toggleLogs" })
    },
    { isActive: isRawModeSupported === true && state.summary === undefined }
  )
  // One column spare: a line filling the last column makes some terminals wrap.
  return <LiveView state={state} width={width ?? Math.max(40, size.columns - 1)} height={height ?? Math.max(10, size.rows)} />
}
