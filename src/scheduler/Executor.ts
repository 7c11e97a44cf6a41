/**
 * Where a ready stage instance runs. The scheduler (`execute.ts`) decides
 * *when* a stage runs; an executor decides *where*: in this process
 * (`local`), or as a cluster job (`slurm`, see `executors/slurm`). Every
 * executor honours the same contract as a local run: the output ends up in
 * the cache, exactly one run is recorded per attempt, interruption leaves
 * nothing partial, and the outcome is reported once.
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { CacheKey, ContentHash } from "../cache/CacheStore.js"
import type { Node } from "./resolve.js"
import type { StageOutcome, StageRunContext } from "./runStage.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Executor {
  /** Shown in events (`executor` field) and messages. */
  readonly name: string
  /**
   * Run one stage instance whose inputs are in the cache. Publishes the
   * stage's `running`, `progress` and `log` events; the scheduler publishes
   * its final status from the outcome.
   */
  readonly run: (rc: StageRunContext, node: Node, key: CacheKey, inputs: Readonly<Record<string, ContentHash>>) => Effect.Effect<StageOutcome>
  /**
   * True when the executor's back end allots resources itself (a cluster):
   * the scheduler then limits only the number of stages in flight, not the
   * pipeline's resource capacities, which describe one machine.
   */
  readonly allotsResources: boolean
}
