/**
 * `clipcl plan FILE` (what would run and why) and `clipcl why FILE STAGE`
 * (one stage in detail: its key pre-image against the last run's).
 *
 * @since 0.1.0
 */
import { Effect, Either } from "effect"
import type { Command } from "../args.js"
import { makePlan, plannedStages, type Plan, type PlanEntry } from "../../scheduler/plan.js"
import { findStages } from "../../scheduler/resolve.js"
import { openCache, type CliIO } from "../io.js"
import { loadAndResolve } from "./common.js"

/**
 * The `plan --json` line of one entry.
 *
 * @since 0.1.0
 * @category utils
 */
export const planJson = (e: PlanEntry) => ({ stage: e.stage, key: e.displayKey, action: e.action, reasons: e.reasons, ...(e.key === null ? { provisional: true } : {}) })


/**
 * @since 0.1.0
 * @category constructors
 */
export const planCommand = (cmd: Extract<Command, { _tag: "plan" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { dag, only, force } = yield* loadAndResolve(cmd.file, cmd.set, cmd.only, cmd.force)
    const plan = yield* makePlan(dag, { only, force }).pipe(Effect.provide(openCache(cmd.cache)))
    if (cmd.json) io.stdout(plan.selected.map((i) => JSON.stringify(planJson(plan.entries[i]!)) + "\n").join(""))
    // The live view's grouping and status symbols, so plan and run look alike (ink, loaded only here).
    else {
      const { renderPlan } = yield* Effect.promise(() => import("../../ui/render.js"))
      io.stdout(
        renderPlan(
          plannedStages(plan).map((st, j) => ({ ...st, provisional: plan.entries[plan.selected[j]!]!.key === null })),
          { width: process.stdout.isTTY ? process.stdout.columns : 1000, color: io.isTTY }
        )
      )
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
    const [i] = yield* Either.match(findStages(dag, [cmd.stage], "why"), { onLeft: Effect.fail, onRight: Effect.succeed })
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
