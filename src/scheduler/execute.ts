/**
 * Executing a plan. One fiber per stage instance that has to run; each
 * publishes its output's content hash through a Deferred, so dependents (and
 * identical instances discovered at run time, which share a key) wait for
 * the same run. Concurrency is bounded by a `--jobs` semaphore and one
 * semaphore per resource. A failure completes the stage's Deferred with a
 * failure: dependents are skipped, independent stages go on (or, with
 * `failFast`, everything stops). Stopping (Ctrl-C) interrupts running stages
 * through Effect interruption: their `AbortSignal` fires, an `interrupted`
 * run is recorded and no output is stored.
 *
 * @since 0.1.0
 */
import { Cause, Deferred, Effect, Exit, Fiber, Option } from "effect"
import { CacheStore, type CacheKey, type ContentHash, type RunRecord } from "../cache/CacheStore.js"
import type { AnyOutputSpec } from "../dsl/Output.js"
import type { StageContext } from "../dsl/Stage.js"
import { loadInput, storeOutput } from "./artifacts.js"
import { StageFailed, UpstreamFailed } from "./errors.js"
import type { StageStatus } from "./Event.js"
import { EventSink } from "./EventSink.js"
import { cacheKey } from "./keys.js"
import { plannedStages, type Plan } from "./plan.js"

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
  readonly skipped: number
  readonly interrupted: boolean
  readonly durationMs: number
  readonly savedMs: number
  /** Final status per stage instance name. */
  readonly statuses: ReadonlyMap<string, StageStatus>
  /** Output content hash per stage instance that has one. */
  readonly outputs: ReadonlyMap<string, ContentHash>
}

const LOG_TAIL_LINES = 200

const describe = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

const causeText = (e: unknown): string | undefined => {
  if (e instanceof Error && e.stack) return e.stack
  return undefined
}

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
    const t0 = Date.now()
    const interval = options.progressIntervalMs ?? 100
    const stop = options.stop ?? (yield* Deferred.make<void>())
    const jobs = yield* Effect.makeSemaphore(Math.max(1, options.jobs ?? 1))
    const resourceSems = new Map<string, Effect.Semaphore>()
    for (const [r, cap] of Object.entries(dag.resources)) resourceSems.set(r, yield* Effect.makeSemaphore(cap))

    yield* sink.publish({ type: "plan", pipeline: dag.pipeline, stages: plannedStages(plan), ...(options.backend ? { backend: options.backend } : {}), time: Date.now() })

    const status = new Map<number, StageStatus>()
    const outputs = new Map<string, ContentHash>()
    let savedMs = 0
    const keyOf: Array<string> = dag.nodes.map(() => "")
    const finish = (i: number, s: StageStatus, extra: { durationMs?: number; savedMs?: number; error?: { message: string; cause?: string } } = {}) =>
      Effect.suspend(() => {
        if (status.has(i) && status.get(i) !== "running" && status.get(i) !== "queued") return Effect.void
        status.set(i, s)
        if (extra.savedMs) savedMs += extra.savedMs
        return sink.publish({ type: "stage", stage: dag.nodes[i]!.name, key: keyOf[i]!, status: s, time: Date.now(), ...extra })
      })

    const done = dag.nodes.map(() => undefined as Deferred.Deferred<ContentHash, UpstreamFailed> | undefined)
    for (const i of plan.selected) done[i] = yield* Deferred.make<ContentHash, UpstreamFailed>()
    const inflight = new Map<CacheKey, Deferred.Deferred<ContentHash, UpstreamFailed>>()

    let failFastTriggered = false
    const runStage = (i: number, key: CacheKey, inputs: Record<string, ContentHash>) =>
      Effect.uninterruptibleMask((restore) => Effect.gen(function* () {
        const node = dag.nodes[i]!
        const startedAt = Date.now()
        const logLines: Array<string> = []
        let metrics: Record<string, number> | null = null
        let lastProgress = 0
        const preimage = { ...node.static, inputs }
        const record = (s: RunRecord["status"], output: ContentHash | null, error: string | null) =>
          cache.recordRun({
            key,
            pipeline: dag.pipeline,
            stage: node.name,
            stageKind: node.def.name,
            preimage,
            params: node.static.params,
            inputs,
            output,
            outputKind: node.def.output.kind,
            status: s,
            startedAt,
            endedAt: Date.now(),
            metrics,
            logTail: logLines.join("\n"),
            error
          })
        status.set(i, "running")
        yield* sink.publish({ type: "stage", stage: node.name, key, status: "running", time: startedAt })
        const body = Effect.gen(function* () {
          const loaded: Record<string, unknown> = {}
          for (const [k, h] of Object.entries(inputs)) {
            loaded[k] = yield* loadInput(cache, (node.def.inputs as Record<string, AnyOutputSpec>)[k]!, h, node.name, k)
          }
          const controller = new AbortController()
          const ctx: StageContext = {
            stage: node.name,
            key,
            backend: options.backend,
            signal: controller.signal,
            progress: (step, total, m) => {
              if (m) metrics = { ...(metrics ?? {}), ...m }
              const now = Date.now()
              if (now - lastProgress < interval && step < total) return
              lastProgress = now
              sink.unsafePublish({ type: "progress", stage: node.name, key, step, total, ...(m ? { metrics: m } : {}), time: now })
            },
            log: (line, level = "info") => {
              logLines.push(level === "info" ? line : `[${level}] ${line}`)
              if (logLines.length > LOG_TAIL_LINES) logLines.shift()
              sink.unsafePublish({ type: "log", stage: node.name, key, level, line, time: Date.now() })
            }
          }
          const value = yield* Effect.suspend(() => {
            let out: unknown
            try {
              out = node.def.run({ params: node.params, inputs: loaded, seed: node.static.seed, ctx })
            } catch (e) {
              return Effect.fail(e)
            }
            if (Effect.isEffect(out)) return out as Effect.Effect<unknown, unknown>
            if (typeof (out as PromiseLike<unknown> | null)?.then === "function") {
              return Effect.async<unknown, unknown>((resume) => {
                ;(out as PromiseLike<unknown>).then(
                  (v) => resume(Effect.succeed(v)),
                  (e) => resume(Effect.fail(e))
                )
              })
            }
            return Effect.succeed(out)
          }).pipe(Effect.onInterrupt(() => Effect.sync(() => controller.abort())))
          return yield* storeOutput(cache, node.def.output, value, node.name)
        })
        const exit = yield* Effect.exit(restore(body))
        if (Exit.isSuccess(exit)) {
          yield* record("ok", exit.value, null).pipe(Effect.orDie)
          outputs.set(node.name, exit.value)
          yield* finish(i, "ran", { durationMs: Date.now() - startedAt })
          return exit.value
        }
        if (Cause.isInterruptedOnly(exit.cause)) {
          yield* record("interrupted", null, "interrupted").pipe(Effect.ignore)
          yield* finish(i, "failed", { durationMs: Date.now() - startedAt, error: { message: "interrupted" } })
          return yield* Effect.interrupt
        }
        const err = Cause.squash(exit.cause)
        const failure = err instanceof StageFailed ? err : new StageFailed({ stage: node.name, detail: describe(err), cause: err })
        yield* record("failed", null, failure.detail).pipe(Effect.ignore)
        const cause = causeText(failure.cause)
        yield* finish(i, "failed", { durationMs: Date.now() - startedAt, error: { message: failure.detail, ...(cause ? { cause } : {}) } })
        if (options.failFast) {
          failFastTriggered = true
          yield* Deferred.succeed(stop, undefined)
        }
        return yield* new UpstreamFailed({ stage: node.name, upstream: node.name })
      }))

    const nodeFiber = (i: number) =>
      Effect.gen(function* () {
        const node = dag.nodes[i]!
        const entry = plan.entries[i]!
        const inputs: Record<string, ContentHash> = {}
        for (const [k, up] of Object.entries(node.inputs)) {
          const r = yield* Effect.either(Deferred.await(done[up]!))
          if (r._tag === "Left") {
            yield* finish(i, "skipped", { error: { message: `input ${k} ('${dag.nodes[up]!.name}') did not complete` } })
            return yield* new UpstreamFailed({ stage: node.name, upstream: dag.nodes[up]!.name })
          }
          inputs[k] = r.right
        }
        const key = cacheKey({ ...node.static, inputs })
        keyOf[i] = key
        if (!entry.forced) {
          const hit = Option.getOrUndefined(yield* cache.lookup(key).pipe(Effect.orElseSucceed(() => Option.none())))
          if (hit?.output) {
            outputs.set(node.name, hit.output)
            yield* finish(i, "cached", { savedMs: hit.endedAt - hit.startedAt })
            return hit.output
          }
          const same = inflight.get(key)
          if (same !== undefined) {
            const r = yield* Effect.either(Deferred.await(same))
            if (r._tag === "Left") {
              yield* finish(i, "skipped", { error: { message: "an identical instance failed" } })
              return yield* r.left
            }
            outputs.set(node.name, r.right)
            yield* finish(i, "cached")
            return r.right
          }
          inflight.set(key, done[i]!)
        }
        // Resources are taken before a job slot (in name order, so no deadlock),
        // so a stage waiting for the accelerator does not hold a CPU slot.
        let run = jobs.withPermits(1)(runStage(i, key, inputs))
        for (const r of Object.keys(node.def.resources ?? {}).sort().reverse()) {
          const need = node.def.resources![r]!
          if (need > 0) run = resourceSems.get(r)!.withPermits(need)(run)
        }
        return yield* run
      })

    const fibers: Array<Fiber.RuntimeFiber<ContentHash, UpstreamFailed>> = []
    for (const i of plan.selected) {
      const entry = plan.entries[i]!
      keyOf[i] = entry.displayKey
      if (entry.action === "cached" && entry.hit?.output) {
        outputs.set(entry.stage, entry.hit.output)
        yield* finish(i, "cached", { savedMs: entry.hit.endedAt - entry.hit.startedAt })
        yield* Deferred.succeed(done[i]!, entry.hit.output)
        continue
      }
      status.set(i, "queued")
      const d = done[i]!
      const f = yield* Effect.fork(nodeFiber(i).pipe(Effect.exit, Effect.flatMap((exit) => Effect.as(Deferred.done(d, exit), exit)), Effect.flatten))
      fibers.push(f)
    }

    const stopped = yield* Effect.raceFirst(
      Effect.forEach(fibers, (f) => Fiber.await(f), { discard: true }).pipe(Effect.as(false)),
      Deferred.await(stop).pipe(Effect.as(true))
    )
    if (stopped) yield* Fiber.interruptAll(fibers)
    for (const i of plan.selected) {
      const s = status.get(i)
      if (s === undefined || s === "queued" || s === "running") {
        yield* finish(i, "skipped", { error: { message: stopped ? "run stopped before this stage" : "not run" } })
        yield* Deferred.fail(done[i]!, new UpstreamFailed({ stage: dag.nodes[i]!.name, upstream: "(stopped)" }))
      }
    }
    yield* cache.markPipelineUse(dag.pipeline, [...new Set(outputs.values())]).pipe(Effect.ignore)

    const count = (s: StageStatus) => plan.selected.filter((i) => status.get(i) === s).length
    const interrupted = stopped && !failFastTriggered
    const result: RunResult = {
      ran: count("ran"),
      cached: count("cached"),
      failed: count("failed"),
      skipped: count("skipped"),
      interrupted,
      durationMs: Date.now() - t0,
      savedMs,
      statuses: new Map(plan.selected.map((i) => [dag.nodes[i]!.name, status.get(i)!])),
      outputs
    }
    yield* sink.publish({
      type: "summary",
      ran: result.ran,
      cached: result.cached,
      failed: result.failed,
      skipped: result.skipped,
      durationMs: result.durationMs,
      savedMs,
      interrupted,
      time: Date.now()
    })
    return result
  })
