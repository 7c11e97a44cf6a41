/**
 * `clipcl run FILE`: validate (exit 2 on problems, nothing written), open
 * the cache, plan, execute with the chosen renderer consuming the event
 * PubSub. Exit 0, 1 (a stage failed or was skipped), 130 (interrupted).
 *
 * @since 0.1.0
 */
import { Data, Deferred, Effect, Exit, Fiber, PubSub } from "effect"
import type { Command } from "../args.js"
import type { EngineEvent } from "../../scheduler/Event.js"
import { EventSink, fromPubSub } from "../../scheduler/EventSink.js"
import { execute } from "../../scheduler/execute.js"
import { makePlan } from "../../scheduler/plan.js"
import { openCache, type CliIO } from "../io.js"
import { chooseRenderer, consumeUntilSummary } from "../render.js"
import { loadAndResolve } from "./common.js"
import { slurmExecutorFor } from "./runSlurm.js"
import { CacheStore } from "../../cache/CacheStore.js"
import { latestPerStage, pipelineResults, tableReader } from "../results.js"

/**
 * `--backend NAME` was refused by the backend module.
 *
 * @since 0.1.0
 * @category errors
 */
export class BackendInitFailed extends Data.TaggedError("BackendInitFailed")<{ readonly backend: string; readonly detail: string }> {
  override get message(): string {
    return `--backend ${this.backend}: ${this.detail}`
  }
}

/**
 * Initialise the compute backend (`--backend`, else the fastest available or
 * `CLIPCL_BACKEND`). Loaded only when a stage runs here: TensorFlow.js is
 * the heaviest part of a start.
 *
 * @since 0.1.0
 * @category utils
 */
export const initBackend = (name: string | undefined): Effect.Effect<{ readonly description: string | undefined; readonly notice: string | undefined }, BackendInitFailed> =>
  Effect.tryPromise({
    try: async () => {
      const info = await (await import("../../backend/index.js")).initBackend(name)
      return { description: info.description, notice: info.notice }
    },
    catch: (e) => new BackendInitFailed({ backend: name ?? "auto", detail: (e as Error)?.message ?? String(e) })
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const runCommand = (cmd: Extract<Command, { _tag: "run" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { dag, only, force, pipeline } = yield* loadAndResolve(cmd.file, cmd.set, cmd.only, cmd.force)
    // Loading the backend (TensorFlow.js, native kernels) takes a second or more: a named
    // --backend is checked up front (a bad name is an argument error, nothing written), the
    // automatic choice is made only when some stage will actually run.
    const explicit = cmd.backend === undefined ? undefined : yield* initBackend(cmd.backend)
    const chooseBackend = (needed: boolean) =>
      explicit !== undefined || !needed ? Effect.succeed(explicit ?? { description: undefined, notice: undefined }) : initBackend(undefined)
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const pubsub = yield* PubSub.unbounded<EngineEvent>()
        const sub = yield* PubSub.subscribe(pubsub)
        const renderer = yield* Effect.promise(() => chooseRenderer({ json: cmd.json, noTui: cmd.noTui, isTTY: io.isTTY, write: io.stdout }))
        // Restore the terminal even when the run fails before its summary (close is idempotent).
        yield* Effect.addFinalizer(() => Effect.promise(() => renderer.close()))
        const consumer = yield* Effect.fork(consumeUntilSummary(sub, renderer))
        const stop = yield* Deferred.make<void>()
        const unregister = io.onInterrupt(() => Deferred.unsafeDone(stop, Exit.void))
        yield* Effect.addFinalizer(() => Effect.sync(unregister))
        const plan = yield* makePlan(dag, { only, force })
        // On a cluster the stages load the backend inside their jobs; the coordinator needs none.
        const remote = cmd.executor === "slurm" ? yield* slurmExecutorFor(cmd, plan) : undefined
        const backend = yield* chooseBackend(remote === undefined && plan.selected.some((i) => plan.entries[i]!.action === "run"))
        if (backend.notice !== undefined) io.stderr(`${backend.notice}\n`)
        const exec = remote === undefined ? { jobs: cmd.jobs } : { jobs: remote.maxJobs, executor: remote.executor }
        const result = yield* execute(plan, { ...exec, failFast: cmd.failFast, backend: backend.description, stop }).pipe(
          Effect.provideService(EventSink, fromPubSub(pubsub))
        )
        yield* Fiber.join(consumer)
        yield* Effect.promise(() => renderer.close())
        // What the results hooks of the pipeline's stage kinds make of this run (a study's table),
        // under the summary; not in --json (stdout is NDJSON there), nor the default rows.
        if (!cmd.json) {
          const cache = yield* CacheStore
          // The latest run of each stage of this DAG (one query, not the pipeline's whole history).
          const last = yield* cache.lastRuns(pipeline.name, dag.nodes.map((n) => n.name)).pipe(Effect.orElseSucceed(() => new Map()))
          const runs = dag.nodes.flatMap((n) => (last.has(n.name) ? [last.get(n.name)!] : []))
          const readTable = yield* tableReader
          const shown = yield* pipelineResults(pipeline, dag.nodes.map((n) => n.def), latestPerStage([...runs].reverse()), { readTable, format: "text", plotsDir: undefined }).pipe(
            Effect.orElseSucceed(() => null)
          )
          if (shown !== null && shown._tag === "Report") io.stdout(`\n${shown.report.text}${shown.report.text.endsWith("\n") ? "" : "\n"}`)
        }
        return result.interrupted ? 130 : result.failed + result.interruptedStages + result.skipped > 0 ? 1 : 0
      })
    ).pipe(Effect.provide(openCache(cmd.cache)))
  })
