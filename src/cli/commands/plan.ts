/**
 * `clipcl plan FILE` (what would run and why) and `clipcl why FILE STAGE`
 * (one stage in detail: its key pre-image against the last run's).
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import { UsageError, type Command } from "../args.js"
import { makePlan, plannedStages, planWallTime, type Plan, type PlanEntry } from "../../scheduler/plan.js"
import { shortDuration } from "../../ui/format.js"
import { renderPlan } from "../../ui/planText.js"
import { findStages } from "../../scheduler/resolve.js"
import { openCache, type CliIO } from "../io.js"
import { loadAndResolve, selectionLines } from "./common.js"

/**
 * The `plan --json` line of one entry.
 *
 * @since 0.1.0
 * @category utils
 */
const planJson = (e: PlanEntry, overrides: ReadonlyArray<string> = []) => ({
  stage: e.stage,
  key: e.displayKey,
  action: e.action,
  reasons: e.reasons,
  ...(e.key === null ? { provisional: true } : {}),
  ...(overrides.length > 0 ? { overrides } : {}),
  ...(e.estimate !== undefined ? { expectedMs: e.estimate.ms, estimate: { basis: e.estimate.basis, runs: e.estimate.runs } } : {})
})

/**
 * The lines under the plan that say what it is expected to take and how
 * that was estimated; none when no stage to run has history.
 *
 * @since 0.1.0
 * @category utils
 */
const estimateLines = (plan: Plan, jobs: number): ReadonlyArray<string> => {
  const w = planWallTime(plan, jobs)
  if (w === undefined) return []
  const byBasis = new Map<string, number>()
  for (const i of plan.selected) {
    const b = plan.entries[i]!.estimate?.basis
    if (b !== undefined) byBasis.set(b, (byBasis.get(b) ?? 0) + 1)
  }
  const known = w.stages - w.unknown
  const bound = w.unknown > 0 ? "at least " : "~"
  const path = w.path.length > 4 ? [...w.path.slice(0, 2), "…", ...w.path.slice(-1)] : w.path
  return [
    `expected: ${bound}${shortDuration(w.ms)} at --jobs ${jobs} (all stages to run one after another: ${bound}${shortDuration(w.totalMs)}; ` +
      `critical path ${bound}${shortDuration(w.criticalMs)}: ${path.join(" → ")})`,
    `  estimated for ${known} of ${w.stages} stages to run (${[...byBasis].map(([b, n]) => `${n} ${b}`).join(", ")}): the median of the latest 5 successful runs of ` +
      `the stage kind with the same params, else the same non-numeric settings, else the same params shape` +
      (w.unknown > 0 ? `; ${w.unknown} without such runs counted as 0` : "")
  ]
}



/**
 * @since 0.1.0
 * @category constructors
 */
export const planCommand = (cmd: Extract<Command, { _tag: "plan" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { dag, only, force } = yield* loadAndResolve(cmd.file, cmd.set, cmd.only, cmd.force)
    const plan = yield* makePlan(dag, { only, force }).pipe(Effect.provide(openCache(cmd.cache)))
    if (cmd.json) {
      const setBy = new Map<string, Array<string>>()
      for (const o of dag.overrides) for (const st of o.stages) setBy.set(st, [...(setBy.get(st) ?? []), o.text])
      io.stdout(plan.selected.map((i) => JSON.stringify(planJson(plan.entries[i]!, setBy.get(plan.entries[i]!.stage))) + "\n").join(""))
    }
    // The live view's grouping and status symbols, so plan and run look alike (plain text, no ink).
    else {
      const lines = selectionLines(dag, cmd.force, cmd.only)
      if (lines.length > 0) io.stdout(lines.join("\n") + "\n\n")
      io.stdout(
        renderPlan(
          plannedStages(plan).map((st, j) => ({ ...st, provisional: plan.entries[plan.selected[j]!]!.key === null })),
          { width: process.stdout.isTTY ? process.stdout.columns : 1000, color: io.isTTY }
        )
      )
      const est = estimateLines(plan, cmd.jobs)
      if (est.length > 0) io.stdout(est.join("\n") + "\n")
    }
    return 0
  })

/**
 * @since 0.1.0
 * @category constructors
 */
export const whyCommand = (cmd: Extract<Command, { _tag: "why" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { dag } = yield* loadAndResolve(cmd.file, cmd.set)
    const found = yield* Either.match(findStages(dag, [cmd.stage], "why"), { onLeft: Effect.fail, onRight: Effect.succeed })
    if (found.length > 1) {
      const names = found.map((j) => dag.nodes[j]!.name)
      return yield* new UsageError({ detail: `why: '${cmd.stage}' names ${names.length} instances; give one of: ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}` })
    }
    const i = found[0]
    const plan = yield* makePlan(dag, { only: [i!] }).pipe(Effect.provide(openCache(cmd.cache)))
    const e = plan.entries[i!]!
    const node = dag.nodes[i!]!
    const current = { ...node.static, inputs: e.inputs }
    const upstream = Object.fromEntries(Object.entries(node.inputs).map(([k, up]) => [k, { stage: dag.nodes[up]!.name, action: plan.entries[up]!.action }]))
    if (cmd.json) {
      io.stdout(JSON.stringify({ ...planJson(e), kind: node.def.name, aliases: node.aliases, preimage: current, upstream, lastRun: e.lastRun ?? e.hit ?? null }) + "\n")
      return 0
    }
    const out: Array<string> = []
    out.push(`${e.stage} (${node.def.name} v${node.def.version})${node.aliases.length ? ` also named ${node.aliases.join(", ")}` : ""}`)
    out.push(`  action: ${e.action}`)
    out.push(`  key:    ${e.displayKey}${e.key === null ? " (provisional: an input will be recomputed)" : ""}`)
    if (e.action === "cached" && e.hit) out.push(`  cached from the run of ${new Date(e.hit.endedAt).toISOString()} (took ${e.hit.endedAt - e.hit.startedAt} ms), output ${e.hit.output}`)
    if (e.action === "run") {
      out.push("  because:")
      for (const r of e.reasons) out.push(`    - ${r}`)
      if (e.lastRun) out.push(`  last run: ${e.lastRun.status} at ${new Date(e.lastRun.endedAt).toISOString()}, key ${e.lastRun.key}`)
    }
    out.push("  key pre-image:")
    out.push(`    kind ${current.kind}, version ${current.version}, seed ${current.seed}, fingerprint ${current.fingerprint.slice(0, 16)}`)
    out.push(`    params ${JSON.stringify(current.params)}`)
    for (const [k, h] of Object.entries(e.inputs)) out.push(`    input ${k} <- ${upstream[k]!.stage} (${upstream[k]!.action}): ${h ?? "unknown until it runs"}`)
    out.push(`    env ${JSON.stringify(current.env)}`)
    io.stdout(out.join("\n") + "\n")
    return 0
  })
