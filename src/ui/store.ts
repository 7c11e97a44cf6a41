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

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeStore = (initial: UiState = initialState()): UiStore => {
  let state = initial
  const listeners = new Set<() => void>()
  return {
    get: () => state,
    dispatch: (action) => {
      const next = reduce(state, action)
      if (next === state) return
      state = next
      for (const l of listeners) l()
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    }
  }
}
