/**
 * The plan: for each selected stage instance, its cache key (when its inputs'
 * content hashes are known), whether it would run or is cached, and why it
 * would run (the diff of its key pre-image against the last run of that
 * stage). Keys of stages downstream of a stage that will run are unknown until
 * it has run (early cutoff may still make them hits); the plan says so and
 * shows a provisional key.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { CacheStore, type CacheKey, type ContentHash, type RunRecord } from "../cache/CacheStore.js"
import type { CacheError } from "../cache/CacheError.js"
import type { PlannedStage } from "./Event.js"
import { cacheKey, diffPreimage, provisionalKey } from "./keys.js"
import { downstreamClosure, upstreamClosure, type Dag } from "./resolve.js"

/**
 * One stage instance's plan.
 *
 * @since 0.1.0
 * @category models
 */
export interface PlanEntry {
  readonly node: number
  readonly stage: string
  /** The real key, or null while an input's content is unknown. */
  readonly key: CacheKey | null
  /** `key`, or a provisional key built from upstream keys. */
  readonly displayKey: string
  readonly action: "run" | "cached"
  readonly reasons: ReadonlyArray<string>
  /** Input content hashes (null: produced by a stage that will run). */
  readonly inputs: Readonly<Record<string, ContentHash | null>>
  /** The run the cache hit comes from. */
  readonly hit: RunRecord | undefined
  /** The last run attempt of this stage instance (for run entries). */
  readonly lastRun: RunRecord | undefined
  readonly forced: boolean
}

/**
 * A plan over a DAG. `entries` is indexed by node; unselected nodes (`--only`) are undefined.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plan {
  readonly dag: Dag
  readonly entries: ReadonlyArray<PlanEntry | undefined>
  readonly selected: ReadonlyArray<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PlanOptions {
  /** Node indices to run with their prerequisites only (`--only`). */
  readonly only?: ReadonlyArray<number>
  /** Node indices to re-run with their dependents (`--force`). */
  readonly force?: ReadonlyArray<number>
}

/**
 * Plan a DAG against the cache.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePlan = (dag: Dag, options: PlanOptions = {}): Effect.Effect<Plan, CacheError, CacheStore> =>
  Effect.gen(function* () {
    const cache = yield* CacheStore
    const only = options.only && options.only.length > 0 ? upstreamClosure(dag, options.only) : undefined
    const forced = options.force && options.force.length > 0 ? downstreamClosure(dag, options.force) : new Set<number>()
    const entries: Array<PlanEntry | undefined> = new Array(dag.nodes.length)
    const selected: Array<number> = []
    for (const node of dag.nodes) {
      if (only !== undefined && !only.has(node.index)) continue
      selected.push(node.index)
      const inputs: Record<string, ContentHash | null> = {}
      const pendingKeys: Record<string, string> = {}
      const pendingNotes: Array<string> = []
      let known = true
      for (const [k, up] of Object.entries(node.inputs)) {
        const e = entries[up]!
        if (e.action === "cached" && e.hit?.output) {
          inputs[k] = e.hit.output
          pendingKeys[k] = e.hit.output
        } else {
          known = false
          inputs[k] = null
          pendingKeys[k] = e.displayKey
          pendingNotes.push(`input ${k} depends on changed input: '${e.stage}' will run`)
        }
      }
      const isForced = forced.has(node.index)
      const key = known ? cacheKey({ ...node.static, inputs: inputs as Record<string, ContentHash> }) : null
      let hit: RunRecord | undefined
      if (key !== null && !isForced) hit = Option.getOrUndefined(yield* cache.lookup(key))
      if (hit !== undefined && hit.output !== null) {
        entries[node.index] = { node: node.index, stage: node.name, key, displayKey: key!, action: "cached", reasons: [], inputs, hit, lastRun: undefined, forced: false }
        continue
      }
      const last = Option.getOrUndefined(yield* cache.lastRun(dag.pipeline, node.name))
      const reasons: Array<string> = []
      if (isForced) reasons.push(options.force!.includes(node.index) ? "forced (--force)" : "forced: depends on a --force stage")
      if (last === undefined) reasons.push("never ran")
      else {
        const diffs = diffPreimage(last.preimage, { ...node.static, inputs })
        reasons.push(...diffs)
        if (diffs.length === 0 && known && !isForced) {
          reasons.push(
            last.status === "failed"
              ? `last run failed${last.error ? `: ${last.error.split("\n")[0]}` : ""}`
              : last.status === "interrupted"
                ? "last run was interrupted"
                : "output no longer in the cache (evicted or corrupt)"
          )
        }
      }
      reasons.push(...pendingNotes)
      entries[node.index] = {
        node: node.index,
        stage: node.name,
        key,
        displayKey: key ?? provisionalKey(node.static, pendingKeys),
        action: "run",
        reasons,
        inputs,
        hit: undefined,
        lastRun: last,
        forced: isForced
      }
    }
    return { dag, entries, selected }
  })

/**
 * The plan as the event stream's `PlannedStage` list.
 *
 * @since 0.1.0
 * @category utils
 */
export const plannedStages = (plan: Plan): ReadonlyArray<PlannedStage> =>
  plan.selected.map((i) => {
    const e = plan.entries[i]!
    const node = plan.dag.nodes[i]!
    const ms = e.hit ? e.hit.endedAt - e.hit.startedAt : e.lastRun?.status === "ok" ? e.lastRun.endedAt - e.lastRun.startedAt : undefined
    return {
      stage: e.stage,
      key: e.displayKey,
      kind: node.def.name,
      deps: node.deps.map((d) => plan.dag.nodes[d]!.name),
      action: e.action,
      reasons: e.reasons,
      ...(node.group !== undefined ? { group: node.group } : {}),
      ...(ms !== undefined ? { expectedMs: ms } : {})
    }
  })
