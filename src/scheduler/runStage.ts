/**
 * Running one stage instance whose inputs are ready and whose slots are
 * taken: load its inputs from the cache, call its `run` (a value, a Promise
 * or an Effect), store the output, record the attempt. Interruption (Ctrl-C,
 * `--fail-fast`) fires the stage's `AbortSignal`, records an `interrupted`
 * run and stores nothing; recording is uninterruptible so a run is never
 * half-recorded.
 *
 * Everything a stage allocates (log tail, metrics, closures) is owned by
 * this effect and released when it ends: nothing outlives the stage but its
 * run record and the event stream.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit } from "effect"
import type { CacheKey, CacheStoreService, ContentHash, RunRecord } from "../cache/CacheStore.js"
import type { AnyOutputSpec } from "../dsl/Output.js"
import type { StageContext } from "../dsl/Stage.js"
import { loadInput, storeOutput } from "./artifacts.js"
import { StageFailed } from "./errors.js"
import type { EventSinkService } from "./EventSink.js"
import type { Node } from "./resolve.js"

/** Lines of a stage's log kept with its run record. */
const LOG_TAIL_LINES = 200

/**
 * How a stage run ended (interruption is the effect's interruption).
 *
 * @since 0.1.0
 * @category models
 */
export type StageOutcome =
  | { readonly _tag: "Ran"; readonly output: ContentHash; readonly durationMs: number; readonly job?: JobFacts }
  | { readonly _tag: "Failed"; readonly failure: StageFailed; readonly durationMs: number; readonly job?: JobFacts }

/**
 * Where a stage ran as a cluster job (carried into its final event).
 *
 * @since 0.1.0
 * @category models
 */
export interface JobFacts {
  readonly jobId: string
  readonly node?: string
  readonly jobState?: string
  readonly queueWaitMs?: number
  readonly attempt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StageRunContext {
  readonly cache: CacheStoreService
  readonly sink: EventSinkService
  readonly pipeline: string
  readonly backend: string | undefined
  /** Minimum milliseconds between progress events. */
  readonly progressIntervalMs: number
}

const describe = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/** Call a stage's `run`, whatever it returns, as an Effect. */
const callRun = (node: Node, loaded: Record<string, unknown>, ctx: StageContext): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
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
  })

/**
 * Run one stage instance (publishes its `running`, `progress` and `log`
 * events; the caller publishes the final status from the outcome).
 *
 * @since 0.1.0
 * @category constructors
 */
export const runStage = (
  rc: StageRunContext,
  node: Node,
  key: CacheKey,
  inputs: Readonly<Record<string, ContentHash>>
): Effect.Effect<StageOutcome> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
      const { cache, sink } = rc
      const startedAt = Date.now()
      const logLines: Array<string> = []
      let metrics: Record<string, number> | null = null
      let lastProgress = 0
      const record = (status: RunRecord["status"], output: ContentHash | null, error: string | null) =>
        cache.recordRun({
          key,
          pipeline: rc.pipeline,
          stage: node.name,
          stageKind: node.def.name,
          preimage: { ...node.static, inputs },
          params: node.static.params,
          inputs,
          output,
          outputKind: node.def.output.kind,
          status,
          startedAt,
          endedAt: Date.now(),
          metrics,
          logTail: logLines.join("\n"),
          error
        })
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
          backend: rc.backend,
          signal: controller.signal,
          progress: (step, total, m) => {
            if (m) metrics = { ...(metrics ?? {}), ...m }
            const now = Date.now()
            if (now - lastProgress < rc.progressIntervalMs && step < total) return
            lastProgress = now
            sink.unsafePublish({ type: "progress", stage: node.name, key, step, total, ...(m ? { metrics: m } : {}), time: now })
          },
          log: (line, level = "info") => {
            logLines.push(level === "info" ? line : `[${level}] ${line}`)
            if (logLines.length > LOG_TAIL_LINES) logLines.shift()
            sink.unsafePublish({ type: "log", stage: node.name, key, level, line, time: Date.now() })
          }
        }
        const value = yield* callRun(node, loaded, ctx).pipe(Effect.onInterrupt(() => Effect.sync(() => controller.abort())))
        return yield* storeOutput(cache, node.def.output, value, node.name)
      })
      const exit = yield* Effect.exit(restore(body))
      if (Exit.isSuccess(exit)) {
        const recorded = yield* Effect.either(record("ok", exit.value, null))
        if (recorded._tag === "Right") return { _tag: "Ran", output: exit.value, durationMs: Date.now() - startedAt } as const
        // A result that could not be recorded (a full disk) is not a result: the next run redoes it.
        const detail = `its result could not be recorded in the cache: ${recorded.left.message}`
        return { _tag: "Failed", failure: new StageFailed({ stage: node.name, detail, cause: recorded.left }), durationMs: Date.now() - startedAt } as const
      }
      if (Cause.isInterruptedOnly(exit.cause)) {
        yield* record("interrupted", null, "interrupted").pipe(Effect.ignore)
        return yield* Effect.interrupt
      }
      const err = Cause.squash(exit.cause)
      const failure = err instanceof StageFailed ? err : new StageFailed({ stage: node.name, detail: describe(err), cause: err })
      yield* record("failed", null, failure.detail).pipe(Effect.ignore)
      return { _tag: "Failed", failure, durationMs: Date.now() - startedAt } as const
    })
  )
