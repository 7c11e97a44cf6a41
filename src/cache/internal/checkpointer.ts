/**
 * Background WAL checkpoints for large writes.
 *
 * With `synchronous=NORMAL` a commit costs no fsync, but every WAL
 * checkpoint fsyncs the WAL and the database file. SQLite runs checkpoints
 * on the committing thread every ~1000 pages, so a 1 GiB write spends more
 * than half its time in checkpoints (measured on a quiet 16-core machine:
 * chunk inserts at ~410 MB/s with them, ~1100 MB/s without). During an
 * upload the store turns its own auto-checkpoint off; when the upload ends
 * this worker thread, with its own connection, runs a PASSIVE checkpoint
 * (it never blocks readers or writers) while the process goes on. The data
 * is as durable as with SQLite's own checkpoints: commits sit in the WAL
 * either way until a checkpoint.
 *
 * The worker is plain CommonJS evaluated from a string, so it runs the same
 * from TypeScript sources (tsx) and from `dist/`.
 *
 * @internal
 */
import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"

const SOURCE = `
const { parentPort, workerData } = require("node:worker_threads")
const Database = require(workerData.module)
const db = new Database(workerData.path)
db.pragma("busy_timeout = 2000")
db.pragma("synchronous = NORMAL")
parentPort.on("message", (m) => {
  if (m === "close") {
    try { db.pragma("wal_checkpoint(PASSIVE)") } catch {}
    db.close()
    parentPort.postMessage("closed")
    return
  }
  try { db.pragma("wal_checkpoint(PASSIVE)") } catch {}
  parentPort.postMessage("done")
})
`

export interface Checkpointer {
  /** Ask for a checkpoint; ignored while one is running (the next nudge catches up). */
  readonly nudge: () => void
  readonly busy: () => boolean
  /** Resolves when no checkpoint is running. */
  readonly whenIdle: () => Promise<void>
  /** Run a last checkpoint and stop the thread. */
  readonly close: () => Promise<void>
}

export const startCheckpointer = (path: string): Checkpointer | null => {
  let worker: Worker
  try {
    const module = createRequire(import.meta.url).resolve("better-sqlite3")
    worker = new Worker(SOURCE, { eval: true, workerData: { module, path } })
  } catch {
    return null // Checkpoints then simply stay on the writing thread.
  }
  worker.unref()
  let busy = false
  let closed = false
  let onClosed: (() => void) | null = null
  let idleWaiters: Array<() => void> = []
  const idle = () => {
    busy = false
    const ws = idleWaiters
    idleWaiters = []
    for (const w of ws) w()
  }
  worker.on("message", (m) => {
    if (m === "closed") onClosed?.()
    else idle()
  })
  const gone = () => {
    closed = true
    idle()
    onClosed?.()
  }
  worker.on("error", gone)
  worker.on("exit", gone)
  return {
    nudge: () => {
      if (busy || closed) return
      busy = true
      worker.postMessage("checkpoint")
    },
    busy: () => busy,
    whenIdle: () => (busy ? new Promise<void>((r) => idleWaiters.push(r)) : Promise.resolve()),
    close: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            closed = true
            const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 10_000)
            onClosed = () => {
              clearTimeout(timer)
              void worker.terminate().then(() => resolve())
            }
            worker.postMessage("close")
          })
  }
}
