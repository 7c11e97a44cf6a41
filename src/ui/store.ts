/**
 * A minimal external store around the reducer: engine events arrive from
 * outside React (the CLI's event subscription), keys from inside; both go
 * through `dispatch`, and the view reads with `useSyncExternalStore`.
 *
 * @since 0.1.0
 */
import { initialState, reduce, type UiAction, type UiState } from "./state.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface UiStore {
  readonly get: () => UiState
  readonly dispatch: (action: UiAction) => void
  readonly subscribe: (listener: () => void) => () => void
}

/** Actions people wait for: shown at once, never coalesced. */
const URGENT = new Set<UiAction["type"]>(["focus", "toggleLogs", "stopping", "summary", "results", "plan"])

/**
 * A store. With `coalesceMs > 0`, listeners hear of engine events at most
 * once per `coalesceMs` (a training stage may report progress a hundred
 * times a second; each notification re-renders the view), while keys and
 * the summary notify at once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeStore = (initial: UiState = initialState(), coalesceMs = 0): UiStore => {
  let state = initial
  const listeners = new Set<() => void>()
  let timer: ReturnType<typeof setTimeout> | undefined
  const notify = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    for (const l of listeners) l()
  }
  return {
    get: () => state,
    dispatch: (action) => {
      const next = reduce(state, action)
      if (next === state) return
      state = next
      if (coalesceMs <= 0 || URGENT.has(action.type)) notify()
      else if (timer === undefined) {
        timer = setTimeout(notify, coalesceMs)
        timer.unref?.()
      }
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    }
  }
}
