/**
 * What commands may touch of the outside world, so tests run them
 * in-process with captured output.
 *
 * @since 0.1.0
 */
import { Layer } from "effect"
import { CacheStoreLive, type CacheStore } from "../cache/CacheStore.js"
import type { StoreOpenFailed } from "../cache/CacheError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface CliIO {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly isTTY: boolean
  /** Call `handler` on SIGINT/SIGTERM; returns the unregister function. */
  readonly onInterrupt: (handler: () => void) => () => void
}

/**
 * The real process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const processIO: CliIO = {
  stdout: (t) => {
    process.stdout.write(t)
  },
  stderr: (t) => {
    process.stderr.write(t)
  },
  isTTY: process.stdout.isTTY === true,
  onInterrupt: (handler) => {
    let count = 0
    const f = () => {
      count++
      // A second Ctrl-C while stopping means "now".
      if (count > 1) process.exit(130)
      handler()
    }
    process.on("SIGINT", f)
    process.on("SIGTERM", f)
    return () => {
      process.off("SIGINT", f)
      process.off("SIGTERM", f)
    }
  }
}

/**
 * The SQLite cache at `path`, creating its folder. A path that cannot be
 * used (a parent that is a file, a read-only folder) fails the layer with
 * `StoreOpenFailed` naming the path and the reason, never a throw.
 *
 * @since 0.1.0
 * @category constructors
 */
export const openCache = (path: string): Layer.Layer<CacheStore, StoreOpenFailed> => CacheStoreLive(path)
