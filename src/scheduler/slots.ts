/**
 * Which ready stage starts next: FIFO over the ready stages, within the
 * `--jobs` limit and the pipeline's resource capacities.
 *
 * A plain data structure owned by the executor's single coordinating fiber,
 * instead of a semaphore per resource with one waiting fiber per stage:
 * effect's `Semaphore` wakes every waiter on each release (each re-queues
 * itself), which made a sweep of 10,000 ready stages quadratic in time and
 * memory. Here a waiting stage is one number in an array, and picking the
 * next one costs O(number of distinct resource needs).
 *
 * A stage is started only when a job slot *and* all its resources are free,
 * so a stage waiting for the accelerator never holds a CPU slot, and a
 * stage whose resources are busy does not hold back later stages that need
 * other ones.
 *
 * @since 0.1.0
 */

/** Ready stages sharing one resource need, oldest first. */
interface Lane {
  readonly needs: ReadonlyArray<readonly [string, number]>
  readonly items: Array<number>
  readonly seqs: Array<number>
  head: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Slots {
  /** Queue a ready stage (`needs`: resource -> amount, within capacity). */
  readonly push: (stage: number, needs?: Readonly<Record<string, number>>) => void
  /** The oldest queued stage that can start now, its slots taken; undefined if none. */
  readonly take: () => number | undefined
  /** Give back the slots of a stage returned by `take`. */
  readonly release: (stage: number) => void
  /** Queued stages. */
  readonly queued: () => number
  /** Stages holding slots. */
  readonly active: () => number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const makeSlots = (jobs: number, capacity: Readonly<Record<string, number>>): Slots => {
  const free = new Map(Object.entries(capacity))
  let freeJobs = Math.max(1, Math.floor(jobs))
  const lanes = new Map<string, Lane>()
  const held = new Map<number, Lane>()
  let seq = 0
  let queued = 0

  const fits = (lane: Lane) => lane.needs.every(([r, n]) => (free.get(r) ?? 0) >= n)

  return {
    push: (stage, needs = {}) => {
      const list = Object.entries(needs)
        .filter(([, n]) => n > 0)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      const sig = list.map(([r, n]) => `${r}=${n}`).join(",")
      let lane = lanes.get(sig)
      if (lane === undefined) lanes.set(sig, (lane = { needs: list, items: [], seqs: [], head: 0 }))
      lane.items.push(stage)
      lane.seqs.push(seq++)
      queued++
    },
    take: () => {
      if (freeJobs === 0 || queued === 0) return undefined
      let best: Lane | undefined
      for (const lane of lanes.values())
        if (lane.head < lane.items.length && fits(lane) && (best === undefined || lane.seqs[lane.head]! < best.seqs[best.head]!)) best = lane
      if (best === undefined) return undefined
      const stage = best.items[best.head]!
      best.head++
      // Drop consumed entries now and then, so a long run does not keep them.
      if (best.head > 1024 && best.head * 2 > best.items.length) {
        best.items.splice(0, best.head)
        best.seqs.splice(0, best.head)
        best.head = 0
      }
      queued--
      freeJobs--
      for (const [r, n] of best.needs) free.set(r, free.get(r)! - n)
      held.set(stage, best)
      return stage
    },
    release: (stage) => {
      const lane = held.get(stage)
      if (lane === undefined) return
      held.delete(stage)
      freeJobs++
      for (const [r, n] of lane.needs) free.set(r, free.get(r)! + n)
    },
    queued: () => queued,
    active: () => held.size
  }
}
