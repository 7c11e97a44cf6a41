/**
 * `clipcl dag FILE`: the resolved DAG as text, Mermaid (`--mermaid`) or JSON.
 * Pure: needs no cache.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Command } from "../args.js"
import type { Dag } from "../../scheduler/resolve.js"
import type { CliIO } from "../io.js"
import { loadAndResolve } from "./common.js"

/**
 * Mermaid `graph TD` text of a DAG (edges labelled with input names).
 *
 * @since 0.1.0
 * @category utils
 */
export const mermaid = (dag: Dag): string => {
  const lines = ["graph TD"]
  const esc = (s: string) => s.replace(/"/g, "#quot;")
  for (const n of dag.nodes) lines.push(`  n${n.index}["${esc(n.name)}<br/><i>${esc(n.def.name)}</i>"]`)
  for (const n of dag.nodes) for (const [k, up] of Object.entries(n.inputs)) lines.push(`  n${up} -->|${esc(k)}| n${n.index}`)
  return lines.join("\n") + "\n"
}

/**
 * Indented text: one line per stage in topological order with its inputs.
 *
 * @since 0.1.0
 * @category utils
 */
const dagText = (dag: Dag): string =>
  dag.nodes
    .map((n) => {
      const ins = Object.entries(n.inputs).map(([k, up]) => `${k} <- ${dag.nodes[up]!.name}`)
      return `${n.name} (${n.def.name}, ${n.def.output.kind})${ins.length ? `\n    ${ins.join("\n    ")}` : ""}`
    })
    .join("\n") + "\n"

/**
 * @since 0.1.0
 * @category constructors
 */
export const dagCommand = (cmd: Extract<Command, { _tag: "dag" }>, io: CliIO) =>
  Effect.gen(function* () {
    const { dag } = yield* loadAndResolve(cmd.file, cmd.set)
    if (cmd.mermaid) io.stdout(mermaid(dag))
    else if (cmd.json) {
      for (const n of dag.nodes) {
        io.stdout(JSON.stringify({ stage: n.name, kind: n.def.name, output: n.def.output.kind, aliases: n.aliases, inputs: Object.fromEntries(Object.entries(n.inputs).map(([k, up]) => [k, dag.nodes[up]!.name])) }) + "\n")
      }
    } else io.stdout(dagText(dag))
    return 0
  })
