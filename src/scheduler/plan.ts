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
import { Effect } from "effect"
import { CacheStore, type CacheHit, type CacheKey, type ContentHash, type RunRecord } from "../cache/CacheStore.js"
import type { CacheError } from "../cache/CacheError.js"
import type { PlannedStage } from "./Event.js"
import { estimateDuration, makeHistory, wallTime, type Estimate, type History, type WallTime } from "./estimate.js"
import { diffPreimage, provisionalKey, stageKey } from "./keys.js"
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
  /** The cache hit (output and the run it comes from). */
  readonly hit: CacheHit | undefined
  /** The last run attempt of this stage instance (for run entries). */
  readonly lastRun: RunRecord | undefined
  readonly forced: boolean
  /** Expected duration (run entries with history of their kind; `estimate.ts`). */
  readonly estimate?: Estimate
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

/** What is known of a stage instance before the last runs are read. */
interface Pending {
  readonly key: CacheKey | null
  readonly inputs: Record<string, ContentHash | null>
  /** Input hashes, or upstream provisional keys where unknown: for a provisional key. */
  readonly upstream: Record<string, string> | undefined
  readonly notes: ReadonlyArray<string>
}

const NO_NOTES: ReadonlyArray<string> = []

/** Latest successful runs of a stage kind read for estimates. */
const HISTORY_RUNS = 200

/**
 * Plan a DAG against the cache. Nodes are decided level by level (a level's
 * inputs all come from earlier levels), with one cache query per level for
 * the keys that are known and one query at the end for the last runs of
 * the stages that will run: a handful of queries whatever the DAG's size.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePlan = (dag: Dag, options: PlanOptions = {}): Effect.Effect<Plan, CacheError, CacheStore> =>
  Effect.gen(function* () {
    const cache = yield* CacheStore
    const nodes = dag.nodes
    const only = options.only && options.only.length > 0 ? upstreamClosure(dag, options.only) : undefined
    const forced = options.force && options.force.length > 0 ? downstreamClosure(dag, options.force) : new Set<number>()
    const entries: Array<PlanEntry | undefined> = new Array(nodes.length)
    const pending: Array<Pending | undefined> = new Array(nodes.length)
    const selected: Array<number> = []
    const levels: Array<Array<number>> = []
    const levelOf = new Int32Array(nodes.length)
    for (const node of nodes) {
      if (only !== undefined && !only.has(node.index)) continue
      selected.push(node.index)
      let level = 0
      for (const d of node.deps) if (levelOf[d]! + 1 > level) level = levelOf[d]! + 1
      levelOf[node.index] = level
      ;(levels[level] ??= []).push(node.index)
    }
    /** Keys, or provisional keys, of the stages that will run. */
    const displayKeys: Array<string | undefined> = new Array(nodes.length)
    /** The stages that will run, decided but without reasons yet. */
    const toRun: Array<number> = []
    for (const level of levels) {
      const keys: Array<CacheKey> = []
      for (const i of level) {
        const node = nodes[i]!
        const inputs: Record<string, ContentHash | null> = {}
        let upstream: Record<string, string> | undefined
        let notes: Array<string> | undefined
        for (const k in node.inputs) {
          const up = node.inputs[k]!
          const e = entries[up]
          if (e !== undefined && e.action === "cached") inputs[k] = e.hit!.output
          else {
            inputs[k] = null
            ;(notes ??= []).push(`input ${k} depends on changed input: '${nodes[up]!.name}' will run`)
          }
        }
        if (notes !== undefined) {
          upstream = {}
          for (const k in node.inputs) upstream[k] = inputs[k] ?? displayKeys[node.inputs[k]!]!
        }
        const key = notes === undefined ? stageKey(node.static, inputs as Record<string, ContentHash>) : null
        pending[i] = { key, inputs, upstream, notes: notes ?? NO_NOTES }
        if (key !== null && !forced.has(i)) keys.push(key)
      }
      const hits = keys.length > 0 ? yield* cache.lookupMany(keys) : undefined
      for (const i of level) {
        const node = nodes[i]!
        const pend = pending[i]!
        const hit = pend.key !== null && hits !== undefined ? hits.get(pend.key) : undefined
        if (hit !== undefined) {
          entries[i] = { node: i, stage: node.name, key: pend.key, displayKey: pend.key!, action: "cached", reasons: NO_NOTES, inputs: pend.inputs, hit, lastRun: undefined, forced: false }
          pending[i] = undefined
        } else {
          displayKeys[i] = pend.key ?? provisionalKey(node.static, pend.upstream!)
          toRun.push(i)
        }
      }
    }
    const lastRuns = toRun.length > 0 ? yield* cache.lastRuns(dag.pipeline, toRun.map((i) => nodes[i]!.name)) : new Map<string, RunRecord>()
    // Earlier successful runs of each kind that will run, any pipeline: one query per kind. A
    // plan without estimates is still a plan, so a failed query only drops them.
    const histories = new Map<string, History>()
    for (const kind of new Set(toRun.map((i) => nodes[i]!.def.name))) {
      const runs = yield* cache.runs({ stageKind: kind, status: "ok", limit: HISTORY_RUNS }).pipe(Effect.orElseSucceed((): ReadonlyArray<RunRecord> => []))
      histories.set(kind, makeHistory(runs.map((r) => ({ params: r.params, ms: r.endedAt - r.startedAt }))))
    }
    for (const i of toRun) {
      const node = nodes[i]!
      const pend = pending[i]!
      const isForced = forced.has(i)
      const last = lastRuns.get(node.name)
      const reasons: Array<string> = []
      if (isForced) reasons.push(options.force!.includes(i) ? "forced (--force)" : "forced: depends on a --force stage")
      if (last === undefined) reasons.push("never ran")
      else {
        const diffs = diffPreimage(last.preimage, { ...node.static, inputs: pend.inputs })
        reasons.push(...diffs)
        if (diffs.length === 0 && pend.key !== null && !isForced) {
          reasons.push(
            last.status === "failed"
              ? `last run failed${last.error ? `: ${last.error.split("\n")[0]}` : ""}`
              : last.status === "interrupted"
                ? "last run was interrupted"
                : "output no longer in the cache (evicted or corrupt)"
          )
        }
      }
      reasons.push(...pend.notes)
      const estimate = estimateDuration(histories.get(node.def.name)!, node.static.params)
      entries[i] = {
        node: i,
        stage: node.name,
        key: pend.key,
        displayKey: displayKeys[i]!,
        action: "run",
        reasons,
        inputs: pend.inputs,
        hit: undefined,
        lastRun: last,
        forced: isForced,
        ...(estimate !== undefined ? { estimate } : {})
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
    // Cached: what the run it reuses took. To run: the estimate, so the live view's ETA and `plan` agree.
    const ms = e.hit ? e.hit.endedAt - e.hit.startedAt : e.estimate?.ms
    return {
      stage: e.stage,
      key: e.displayKey,
      kind: node.def.name,
      deps: node.deps.map((d) => plan.dag.nodes[d]!.name),
      action: e.action,
      reasons: e.reasons,
      ...(node.group !== undefined ? { group: node.group } : {}),
      ...(ms !== undefined ? { expectedMs: ms } : {}),
      ...(e.estimate !== undefined ? { estimate: { basis: e.estimate.basis, runs: e.estimate.runs } } : {})
    }
  })

/**
 * Expected wall time of the stages a plan will run, at `jobs` stages at
 * once and the pipeline's resource capacities; `stages` names the
 * critical path. Undefined when no stage to run has an estimate.
 *
 * @since 0.1.0
 * @category utils
 */
export const planWallTime = (plan: Plan, jobs: number): (WallTime & { readonly stages: number; readonly path: ReadonlyArray<string> }) | undefined => {
  const run = plan.selected.filter((i) => plan.entries[i]!.action === "run")
  if (!run.some((i) => plan.entries[i]!.estimate !== undefined)) return undefined
  const at = new Map(run.map((i, j) => [i, j]))
  const tasks = run.map((i) => {
    const node = plan.dag.nodes[i]!
    return {
      ms: plan.entries[i]!.estimate?.ms,
      deps: node.deps.flatMap((d) => (at.has(d) ? [at.get(d)!] : [])),
      ...(node.def.resources ? { resources: node.def.resources } : {})
    }
  })
  const w = wallTime(tasks, jobs, plan.dag.resources)
  return { ...w, stages: run.length, path: w.criticalPath.map((j) => plan.dag.nodes[run[j]!]!.name) }
}
