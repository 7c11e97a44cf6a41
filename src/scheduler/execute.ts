/**
 * Executing a plan: one coordinating fiber owns the whole run's state (which
 * stages are waiting for inputs, ready, running, done) in plain arrays, and
 * forks a fiber only for a stage it starts, within `--jobs` and the resource
 * capacities (`slots.ts`). A finished stage sends its outcome to the
 * coordinator's queue; the coordinator then settles its dependents: their
 * keys are computed from the inputs' content hashes and looked up in the
 * cache in one batch (hits finish at once), instances whose keys coincide
 * with a running stage wait for that run, and the rest are queued. So a run
 * holds at most `--jobs` stage fibers whatever the DAG's size, and memory
 * per finished stage is a status and an output hash.
 *
 * A failure skips its dependents; independent stages go on (or, with
 * `failFast`, everything stops). Stopping (Ctrl-C) interrupts running stages
 * through Effect interruption: their `AbortSignal` fires, an `interrupted`
 * run is recorded and no output is stored.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, Fiber, Queue, type Deferred } from "effect"
import { CacheStore, type CacheKey, type ContentHash } from "../cache/CacheStore.js"
import type { StageStatus } from "./Event.js"
import { EventSink } from "./EventSink.js"
import { stageKey } from "./keys.js"
import { plannedStages, type Plan } from "./plan.js"
import type { Executor } from "./Executor.js"
import { localExecutor } from "./executors/local.js"
import type { JobFacts, StageOutcome } from "./runStage.js"
import { makeSlots } from "./slots.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ExecuteOptions {
  /** Stage runs at once (default 1). */
  readonly jobs?: number
  /** Stop everything at the first failure. */
  readonly failFast?: boolean
  /** Passed to stages as `ctx.backend` (not in the key). */
  readonly backend?: string
  /** Completing it stops the run (Ctrl-C). */
  readonly stop?: Deferred.Deferred<void>
  /** Minimum milliseconds between progress events of one stage (default 100). */
  readonly progressIntervalMs?: number
  /** Where stages run (default: in this process). With a cluster executor `jobs` bounds the jobs in flight. */
  readonly executor?: Executor
}

/**
 * The outcome of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunResult {
  readonly ran: number
  readonly cached: number
  readonly failed: number
  /** Stages stopped while running. */
  readonly interruptedStages: number
  readonly skipped: number
  readonly interrupted: boolean
  readonly durationMs: number
  readonly savedMs: number
  /** Final status per stage instance name. */
  readonly statuses: ReadonlyMap<string, StageStatus>
  /** Output content hash per stage instance that has one. */
  readonly outputs: ReadonlyMap<string, ContentHash>
}

/** What the coordinator hears: a started stage ended (always exactly once), or a stop request. */
type Message =
  | { readonly _tag: "Ended"; readonly stage: number; readonly exit: Exit.Exit<StageOutcome> }
  | { readonly _tag: "Stop" }

type FinalExtra = { durationMs?: number; savedMs?: number; error?: { message: string; cause?: string } } & Partial<JobFacts>

const causeText = (e: unknown): string | undefined => (e instanceof Error && e.stack ? e.stack : undefined)

/**
 * Execute a plan (emits `plan`, `stage`, `progress`, `log` and `summary` events).
 *
 * @since 0.1.0
 * @category constructors
 */
export const execute = (plan: Plan, options: ExecuteOptions = {}): Effect.Effect<RunResult, never, CacheStore | EventSink> =>
  Effect.gen(function* () {
    const cache = yield* CacheStore
    const sink = yield* EventSink
    const { dag } = plan
    const nodes = dag.nodes
    const t0 = Date.now()
    const rc = { cache, sink, pipeline: dag.pipeline, backend: options.backend, progressIntervalMs: options.progressIntervalMs ?? 100 }

    yield* sink.publish({ type: "plan", pipeline: dag.pipeline, stages: plannedStages(plan), ...(options.backend ? { backend: options.backend } : {}), jobs: options.jobs ?? 1, time: Date.now() })

    // ---- run state, indexed by node --------------------------------------
    const selected = new Uint8Array(nodes.length)
    for (const i of plan.selected) selected[i] = 1
    /** Inputs not yet settled. */
    const waiting = new Int32Array(nodes.length)
    const dependents: Array<Array<number>> = nodes.map(() => [])
    for (const i of plan.selected) {
      waiting[i] = nodes[i]!.deps.length
      for (const d of nodes[i]!.deps) dependents[d]!.push(i)
    }
    /** Settled output: a hash, or null when the stage failed or was skipped. */
    const settled: Array<ContentHash | null | undefined> = new Array(nodes.length)
    const status: Array<StageStatus | undefined> = new Array(nodes.length)
    const keyOf: Array<string> = nodes.map((n) => plan.entries[n.index]?.displayKey ?? "")
    const inputsOf: Array<Readonly<Record<string, ContentHash>> | undefined> = new Array(nodes.length)
    const startedAt: Array<number> = new Array(nodes.length)
    const outputs = new Map<string, ContentHash>()
    let savedMs = 0
    /** Key -> the stage running it, and the identical instances waiting for it. */
    const inflight = new Map<string, { readonly owner: number; readonly followers: Array<number> }>()
    const executor = options.executor ?? localExecutor
    // A cluster allots resources per job: only the number in flight is bounded here.
    const slots = makeSlots(options.jobs ?? 1, executor.allotsResources ? {} : dag.resources)
    const running = new Map<number, Fiber.RuntimeFiber<void>>()
    const messages = yield* Queue.unbounded<Message>()
    /** Stages whose inputs are all settled, to be looked up, queued or skipped. */
    const work: Array<number> = []
    for (const i of plan.selected) if (waiting[i] === 0) work.push(i)

    const final = (i: number, s: StageStatus, extra: FinalExtra = {}): void => {
      const prev = status[i]
      if (prev !== undefined && prev !== "queued" && prev !== "running") return
      status[i] = s
      if (extra.savedMs) savedMs += extra.savedMs
      sink.unsafePublish({ type: "stage", stage: nodes[i]!.name, key: keyOf[i]!, status: s, time: Date.now(), ...(s === "ran" || s === "failed" ? { executor: executor.name } : {}), ...extra })
    }
    const settle = (i: number, out: ContentHash | null): void => {
      settled[i] = out
      if (out !== null) outputs.set(nodes[i]!.name, out)
      for (const d of dependents[i]!) if (--waiting[d]! === 0) work.push(d)
    }
    const enqueue = (i: number): void => {
      status[i] = "queued"
      slots.push(i, executor.allotsResources ? {} : nodes[i]!.def.resources)
    }

    /** Settle what can be settled without running anything; queue the rest. */
    const drain = Effect.gen(function* () {
      while (work.length > 0) {
        const batch = work.splice(0, work.length)
        const toLookUp: Array<number> = []
        for (const i of batch) {
          const entry = plan.entries[i]!
          if (entry.action === "cached" && entry.hit?.output) {
            final(i, "cached", { savedMs: entry.hit.endedAt - entry.hit.startedAt })
            settle(i, entry.hit.output)
            continue
          }
          const node = nodes[i]!
          const inputs: Record<string, ContentHash> = {}
          let missing: string | undefined
          for (const [k, up] of Object.entries(node.inputs)) {
            const h = settled[up]
            if (h === null || h === undefined) {
              missing = `input ${k} ('${nodes[up]!.name}') did not complete`
              break
            }
            inputs[k] = h
          }
          if (missing !== undefined) {
            final(i, "skipped", { error: { message: missing } })
            settle(i, null)
            continue
          }
          keyOf[i] = stageKey(node.static, inputs)
          inputsOf[i] = inputs
          if (entry.forced) enqueue(i)
          else toLookUp.push(i)
        }
        if (toLookUp.length === 0) continue
        // One query for the whole batch (a finished stage usually readies many).
        const hits = yield* cache.lookupMany(toLookUp.map((i) => keyOf[i] as CacheKey)).pipe(Effect.orElseSucceed(() => new Map()))
        for (const i of toLookUp) {
          const key = keyOf[i]!
          const hit = hits.get(key as CacheKey)
          if (hit?.output) {
            final(i, "cached", { savedMs: hit.endedAt - hit.startedAt })
            settle(i, hit.output)
            continue
          }
          const same = inflight.get(key)
          if (same !== undefined) {
            same.followers.push(i)
            status[i] = "queued"
            continue
          }
          inflight.set(key, { owner: i, followers: [] })
          enqueue(i)
        }
      }
    })

    /** Start queued stages while slots are free. */
    const start = Effect.gen(function* () {
      for (let i = slots.take(); i !== undefined; i = slots.take()) {
        const stage = i
        status[stage] = "running"
        startedAt[stage] = Date.now()
        // Uninterruptible around the report, so every started stage reports exactly once.
        const fiber = yield* Effect.fork(
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(Effect.exit(restore(executor.run(rc, nodes[stage]!, keyOf[stage] as CacheKey, inputsOf[stage]!))), (exit) =>
              Queue.offer(messages, { _tag: "Ended", stage, exit })
            )
          ).pipe(Effect.asVoid)
        )
        running.set(stage, fiber)
      }
    })

    /** Book a stage's end; true when it failed. */
    const ended = (i: number, exit: Exit.Exit<StageOutcome>): boolean => {
      running.delete(i)
      slots.release(i)
      const key = keyOf[i]!
      const group = inflight.get(key)
      const followers = group?.owner === i ? group.followers : []
      if (group?.owner === i) inflight.delete(key)
      if (Exit.isSuccess(exit) && exit.value._tag === "Ran") {
        final(i, "ran", { durationMs: exit.value.durationMs, ...exit.value.job })
        settle(i, exit.value.output)
        for (const f of followers) {
          final(f, "cached")
          settle(f, exit.value.output)
        }
        return false
      }
      const durationMs = Date.now() - startedAt[i]!
      if (Exit.isSuccess(exit)) {
        const { failure, job } = exit.value as Extract<StageOutcome, { _tag: "Failed" }>
        const cause = causeText(failure.cause)
        final(i, "failed", { durationMs, error: { message: failure.detail, ...(cause ? { cause } : {}) }, ...job })
      } else if (Cause.isInterruptedOnly(exit.cause)) final(i, "interrupted", { durationMs })
      else final(i, "failed", { durationMs, error: { message: "stage crashed", cause: Cause.pretty(exit.cause) } })
      settle(i, null)
      for (const f of followers) {
        final(f, "skipped", { error: { message: "an identical instance failed" } })
        settle(f, null)
      }
      return true
    }

    const stopWatch = options.stop === undefined ? undefined : yield* Effect.fork(Effect.zipRight(options.stop as Deferred.Deferred<void>, Queue.offer(messages, { _tag: "Stop" })))
    yield* drain
    yield* start
    let stopped = false
    let failFastTriggered = false
    while (running.size > 0) {
      const msg = yield* Queue.take(messages)
      if (msg._tag === "Stop") {
        stopped = true
        break
      }
      if (ended(msg.stage, msg.exit) && options.failFast) {
        stopped = failFastTriggered = true
        break
      }
      yield* drain
      yield* start
    }
    if (stopWatch !== undefined) yield* Fiber.interrupt(stopWatch)
    if (stopped) {
      // Interrupt what runs (each records an interrupted run), then book every report.
      yield* Fiber.interruptAll([...running.values()])
      for (const msg of yield* Queue.takeAll(messages)) if (msg._tag === "Ended") ended(msg.stage, msg.exit)
    }
    for (const i of plan.selected) {
      const s = status[i]
      if (s === undefined || s === "queued" || s === "running")
        final(i, "skipped", { error: { message: stopped ? "run stopped before this stage" : "not run" } })
    }
    // Run records are written in batches: a stage whose record could not be written (a full
    // disk) has failed, since the next run would have to do its work again.
    const unrecorded = yield* cache.flush().pipe(Effect.flip, Effect.option)
    if (unrecorded._tag === "Some") {
      const lost = new Set<string>(unrecorded.value.keys)
      const message = `its result could not be recorded in the cache: ${unrecorded.value.message}`
      for (const i of plan.selected)
        if (status[i] === "ran" && lost.has(keyOf[i]!)) {
          status[i] = "failed"
          sink.unsafePublish({ type: "stage", stage: nodes[i]!.name, key: keyOf[i]!, status: "failed", time: Date.now(), error: { message } })
        }
    }
    yield* cache.markPipelineUse(dag.pipeline, [...new Set(outputs.values())]).pipe(Effect.ignore)

    const counts = { ran: 0, cached: 0, failed: 0, interruptedStages: 0, skipped: 0 }
    const statuses = new Map<string, StageStatus>()
    for (const i of plan.selected) {
      const s = status[i]!
      statuses.set(nodes[i]!.name, s)
      if (s === "ran" || s === "cached" || s === "failed" || s === "skipped") counts[s]++
      else if (s === "interrupted") counts.interruptedStages++
    }
    const interrupted = stopped && !failFastTriggered
    const result: RunResult = { ...counts, interrupted, durationMs: Date.now() - t0, savedMs, statuses, outputs }
    yield* sink.publish({ type: "summary", ...counts, durationMs: result.durationMs, savedMs, interrupted, time: Date.now() })
    return result
  })
