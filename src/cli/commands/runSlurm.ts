/**
 * `clipcl run --executor slurm`: settings (file and flags), the partition
 * check of every stage that will run (before anything is submitted), the
 * job ledger in the cache file, and the executor for the run's scope.
 *
 * @since 0.1.0
 */
import { resolve } from "node:path"
import { Effect, Either } from "effect"
import { CacheStore } from "../../cache/CacheStore.js"
import { openJobLedger } from "../../cache/JobLedger.js"
import { checkRequests, makeSlurmExecutor } from "../../scheduler/executors/slurm/executor.js"
import { loadSlurmSettings, SlurmSettingsInvalid } from "../../scheduler/executors/slurm/settings.js"
import type { Plan } from "../../scheduler/plan.js"
import type { Command } from "../args.js"
import { parseOverrides } from "./common.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const slurmExecutorFor = (cmd: Extract<Command, { _tag: "run" }>, plan: Plan) =>
  Effect.gen(function* () {
    const settings = yield* Either.match(loadSlurmSettings(cmd.slurm, cmd.cache), { onLeft: Effect.fail, onRight: Effect.succeed })
    const toRun = plan.selected.filter((i) => plan.entries[i]!.action === "run").map((i) => plan.dag.nodes[i]!)
    if (toRun.length > 0) {
      yield* checkRequests(settings, toRun).pipe(
        Effect.catchTag("SlurmCommandFailed", (e) => Effect.fail(new SlurmSettingsInvalid({ source: e.command, detail: e.detail })))
      )
    }
    const cache = yield* CacheStore
    const ledger = yield* Effect.acquireRelease(Effect.sync(() => openJobLedger(cache.path)), (l) => Effect.sync(() => l.close()))
    const overrides = yield* parseOverrides(cmd.set)
    const executor = yield* makeSlurmExecutor({ settings, ledger, cachePath: resolve(cache.path), pipeline: plan.dag.pipeline, file: resolve(cmd.file), overrides })
    return { executor, maxJobs: settings.maxJobs }
  })
