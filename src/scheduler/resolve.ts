/**
 * From declarations to a validated DAG: apply `--set` overrides, decode
 * parameters with each stage's Schema, wire inputs, reject cycles, duplicate
 * names, missing inputs and uncomputable keys (all problems are collected,
 * none is thrown), then merge identical instances so a sweep's shared
 * prefixes are one node. Pure apart from reading `hashIncludes` files.
 *
 * @since 0.1.0
 */
import { Either, ParseResult, Schema } from "effect"
import type { AnyOutputSpec } from "../dsl/Output.js"
import { declarations, type Decl, type Pipeline } from "../dsl/Pipeline.js"
import type { AnyStageDef } from "../dsl/Stage.js"
import {
  CycleDetected,
  DuplicateName,
  InvalidParams,
  InvalidPipeline,
  InvalidResources,
  KeyUncomputable,
  MissingInput,
  PipelineLoadFailed,
  UnknownStage,
  type PipelineProblem
} from "./errors.js"
import { canonicalJson, sha256Hex } from "./hash.js"
import { environmentFacts, fingerprintOf, type Preimage } from "./keys.js"

/**
 * A `--set stage.param=value` override (value already parsed).
 *
 * @since 0.1.0
 * @category models
 */
export interface Override {
  readonly stage: string
  /** Dotted path inside the params. */
  readonly path: ReadonlyArray<string>
  readonly value: unknown
}

/**
 * One stage instance of the resolved DAG.
 *
 * @since 0.1.0
 * @category models
 */
export interface Node {
  /** Position in topological order (inputs come first). */
  readonly index: number
  readonly name: string
  /** Names of identical declarations merged into this node. */
  readonly aliases: ReadonlyArray<string>
  readonly def: AnyStageDef
  /** Decoded parameters (what `run` receives). */
  readonly params: unknown
  /** Input name -> node index. */
  readonly inputs: Readonly<Record<string, number>>
  /** Distinct upstream node indices. */
  readonly deps: ReadonlyArray<number>
  readonly group: string | undefined
  /** Every key part except the input content hashes. */
  readonly static: Omit<Preimage, "inputs">
}

/**
 * A validated pipeline.
 *
 * @since 0.1.0
 * @category models
 */
export interface Dag {
  readonly pipeline: string
  readonly file: string
  readonly nodes: ReadonlyArray<Node>
  /** Every name and alias -> node index. */
  readonly byName: ReadonlyMap<string, number>
  /** Downstream node indices of each node. */
  readonly dependents: ReadonlyArray<ReadonlyArray<number>>
  readonly resources: Readonly<Record<string, number>>
}

const parseOptions = { errors: "all", onExcessProperty: "error" } as const

/**
 * An exact text form of plain JSON data (undefined members and -0 kept
 * apart), or undefined for anything else (class instances, NaN, functions):
 * the memo key of a parameter decode. A sweep declares the same parameters
 * many times; each distinct value is decoded once.
 */
const plainKey = (v: unknown, depth = 0): string | undefined => {
  // Deep (or cyclic) values are simply not memoised.
  if (depth > 64) return undefined
  switch (typeof v) {
    case "string":
      return JSON.stringify(v)
    case "boolean":
      return v ? "t" : "f"
    case "undefined":
      return "u"
    case "number":
      return Number.isFinite(v) ? (Object.is(v, -0) ? "-0" : String(v)) : undefined
    case "object": {
      if (v === null) return "n"
      let out: string
      if (Array.isArray(v)) {
        out = "["
        for (const x of v) {
          const k = plainKey(x, depth + 1)
          if (k === undefined) return undefined
          out += k + ","
        }
        return out + "]"
      }
      const proto = Object.getPrototypeOf(v)
      if (proto !== Object.prototype && proto !== null) return undefined
      out = "{"
      for (const key in v) {
        const k = plainKey((v as Record<string, unknown>)[key], depth + 1)
        if (k === undefined) return undefined
        out += JSON.stringify(key) + ":" + k + ","
      }
      return out + "}"
    }
    default:
      return undefined
  }
}

type Decoded =
  | { readonly _tag: "ok"; readonly decoded: unknown; readonly encoded: unknown; readonly text: string }
  | { readonly _tag: "problems"; readonly make: (stage: string) => ReadonlyArray<PipelineProblem> }

/** Decode params with the stage's Schema and re-encode them canonically. */
const decodeParams = (def: AnyStageDef, raw: unknown, file: string): Decoded => {
  const r = Schema.decodeUnknownEither(def.params)(raw, parseOptions)
  if (Either.isLeft(r)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(r.left)
    return {
      _tag: "problems",
      make: (stage) =>
        issues.map((issue) => new InvalidParams({ file, stage, field: issue.path.length ? issue.path.map(String).join(".") : "(params)", detail: issue.message }))
    }
  }
  const e = Schema.encodeEither(def.params)(r.right)
  if (Either.isLeft(e)) {
    const detail = e.left.message
    return { _tag: "problems", make: (stage) => [new KeyUncomputable({ file, stage, field: "params", detail })] }
  }
  const c = canonicalJson(e.right)
  if (Either.isLeft(c)) {
    const { path, reason } = c.left
    return { _tag: "problems", make: (stage) => [new KeyUncomputable({ file, stage, field: `params${path.slice(1)}`, detail: reason })] }
  }
  return { _tag: "ok", decoded: r.right, encoded: JSON.parse(c.right), text: c.right }
}

/** Base of an instance name: without `[sweep label]` and `#n`. */
const baseName = (name: string): string => name.replace(/#\d+$/, "").replace(/\[.*\]$/, "")

const setPath = (obj: unknown, path: ReadonlyArray<string>, v: unknown): unknown => {
  if (path.length === 0) return v
  const base = typeof obj === "object" && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>) : {}
  const [head, ...rest] = path as [string, ...Array<string>]
  return { ...base, [head]: setPath(base[head], rest, v) }
}

/**
 * Parse `stage.param=value` (value as JSON when it parses, else the string).
 * The stage part may contain dots inside a `[sweep label]`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseOverride = (text: string): Either.Either<Override, string> => {
  const eq = text.indexOf("=", Math.max(0, text.lastIndexOf("]")))
  if (eq <= 0) return Either.left(`--set ${text}: expected stage.param=value`)
  const lhs = text.slice(0, eq)
  const raw = text.slice(eq + 1)
  const close = lhs.lastIndexOf("]")
  const dot = lhs.indexOf(".", close + 1)
  if (dot <= 0 || dot === lhs.length - 1) return Either.left(`--set ${text}: expected stage.param=value`)
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    value = raw
  }
  return Either.right({ stage: lhs.slice(0, dot), path: lhs.slice(dot + 1).split("."), value })
}

/**
 * Resolve a pipeline into a DAG, or report every problem found.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resolve = (
  p: Pipeline,
  file: string,
  overrides: ReadonlyArray<Override> = []
): Either.Either<Dag, InvalidPipeline | PipelineLoadFailed> => {
  let decls: ReadonlyArray<Decl>
  try {
    decls = declarations(p)
  } catch (e) {
    return Either.left(new PipelineLoadFailed({ file, reason: `building pipeline '${p.name}' threw: ${(e as Error)?.message ?? String(e)}`, cause: e }))
  }
  const problems: Array<PipelineProblem> = []
  const n = decls.length

  // Names.
  const byName = new Map<string, number>()
  for (const d of decls) {
    if (byName.has(d.name)) problems.push(new DuplicateName({ file, stage: d.name }))
    else byName.set(d.name, d.index)
  }

  // Overrides: exact instance name, or base name (all instances of a sweep).
  const params: Array<unknown> = decls.map((d) => d.params)
  for (const o of overrides) {
    const targets = decls.filter((d) => d.name === o.stage || baseName(d.name) === o.stage)
    if (targets.length === 0) problems.push(new UnknownStage({ file, stage: o.stage, option: `--set ${o.stage}.${o.path.join(".")}` }))
    for (const d of targets) params[d.index] = setPath(params[d.index], o.path, o.value)
  }

  // Params: decode with the stage's Schema, then re-encode to a canonical form.
  const decoded: Array<unknown> = new Array(n)
  const encoded: Array<unknown> = new Array(n)
  const encodedText: Array<string> = new Array(n)
  const memo = new Map<AnyStageDef, Map<string, Decoded>>()
  for (const d of decls) {
    const key = plainKey(params[d.index])
    let perDef = memo.get(d.def)
    if (perDef === undefined) memo.set(d.def, (perDef = new Map()))
    let r = key === undefined ? undefined : perDef.get(key)
    if (r === undefined) {
      r = decodeParams(d.def, params[d.index], file)
      if (key !== undefined) perDef.set(key, r)
    }
    if (r._tag === "problems") {
      problems.push(...r.make(d.name))
      continue
    }
    // Decoded params are shared between identical declarations: stages must not mutate them.
    decoded[d.index] = r.decoded
    encoded[d.index] = r.encoded
    encodedText[d.index] = r.text
  }

  // Inputs.
  const wired: Array<Record<string, number>> = decls.map(() => ({}))
  for (const d of decls) {
    const declared = d.def.inputs as Record<string, AnyOutputSpec>
    for (const k of Object.keys(d.inputs)) {
      if (!(k in declared)) problems.push(new MissingInput({ file, stage: d.name, input: k, reason: `stage '${d.def.name}' declares no such input` }))
    }
    for (const [k, spec] of Object.entries(declared)) {
      const ref = d.inputs[k]
      if (ref === undefined) {
        problems.push(new MissingInput({ file, stage: d.name, input: k, reason: "not wired to any stage output" }))
        continue
      }
      const target = ref._tag === "Decl" ? ref.index : byName.get(ref.name)
      if (target === undefined || target >= n) {
        problems.push(new MissingInput({ file, stage: d.name, input: k, reason: `refers to stage '${ref._tag === "Name" ? ref.name : ref.index}', which does not exist` }))
        continue
      }
      const got = decls[target]!.def.output.kind
      if (got !== spec.kind) {
        problems.push(new MissingInput({ file, stage: d.name, input: k, reason: `expects a ${spec.kind} output, '${decls[target]!.name}' produces ${got}` }))
        continue
      }
      wired[d.index]![k] = target
    }
  }

  // Cycles (iterative DFS, colours: 0 new, 1 on stack, 2 done) and topological order.
  const order: Array<number> = []
  const colour = new Uint8Array(n)
  for (let root = 0; root < n; root++) {
    if (colour[root] !== 0) continue
    const stack: Array<[number, Array<number>]> = [[root, Object.values(wired[root]!)]]
    colour[root] = 1
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const next = top[1].pop()
      if (next === undefined) {
        colour[top[0]] = 2
        order.push(top[0])
        stack.pop()
      } else if (colour[next] === 1) {
        const at = stack.findIndex((s) => s[0] === next)
        const cycle = stack.slice(at).map((s) => decls[s[0]]!.name)
        if (!problems.some((p) => p._tag === "CycleDetected" && p.stages.join() === cycle.join())) problems.push(new CycleDetected({ file, stages: cycle }))
      } else if (colour[next] === 0) {
        colour[next] = 1
        stack.push([next, Object.values(wired[next]!)])
      }
    }
  }

  // Fingerprints and environment (fail closed).
  let env: Readonly<Record<string, string>> = {}
  try {
    env = environmentFacts()
  } catch (e) {
    problems.push(new KeyUncomputable({ file, stage: decls[0]?.name ?? p.name, field: "env", detail: String(e) }))
  }
  const fps: Array<string> = new Array(n)
  for (const d of decls) {
    const fp = fingerprintOf(d.def)
    if (Either.isLeft(fp)) problems.push(new KeyUncomputable({ file, stage: d.name, field: "fingerprint", detail: fp.left }))
    else fps[d.index] = fp.right
  }

  // Resources.
  const capacity: Record<string, number> = { ...(p.resources ?? {}) }
  for (const d of decls) {
    for (const [r, amount] of Object.entries(d.def.resources ?? {})) {
      capacity[r] ??= 1
      if (!Number.isInteger(amount) || amount < 0) problems.push(new InvalidResources({ file, stage: d.name, resource: r, detail: `amount ${amount} is not a non-negative integer` }))
      else if (amount > capacity[r]!) problems.push(new InvalidResources({ file, stage: d.name, resource: r, detail: `needs ${amount}, the pipeline has ${capacity[r]}` }))
    }
  }

  if (problems.length > 0) return Either.left(new InvalidPipeline({ file, problems }))

  // Merge identical instances (same static key parts and same merged inputs), in topological order.
  const seedDefault = p.seed ?? 0
  const nodeOf = new Int32Array(n).fill(-1)
  const byIdentity = new Map<string, number>()
  const nodes: Array<Node & { aliases: Array<string> }> = []
  /** Small ids for (kind, version, fingerprint), to keep identities short. */
  const defIds = new Map<string, number>()
  for (const i of order) {
    const d = decls[i]!
    const seed = d.seed ?? seedDefault
    const defKey = `${d.def.name}\u0000${d.def.version}\u0000${fps[i]!}`
    let defId = defIds.get(defKey)
    if (defId === undefined) defIds.set(defKey, (defId = defIds.size))
    const inputs: Record<string, number> = {}
    for (const k in wired[i]!) inputs[k] = nodeOf[wired[i]![k]!]!
    const names = Object.keys(inputs)
    // Numbers first, then a self-delimiting JSON array, then the canonical params text: unambiguous.
    const identity = `${defId}|${seed}|${names.length === 0 ? "[]" : JSON.stringify(names.sort().map((k) => [k, inputs[k]]))}|${encodedText[i]}`
    const existing = byIdentity.get(identity)
    if (existing !== undefined) {
      nodeOf[i] = existing
      nodes[existing]!.aliases.push(d.name)
      continue
    }
    const stat: Omit<Preimage, "inputs"> = {
      kind: d.def.name,
      version: d.def.version,
      fingerprint: fps[i]!,
      params: encoded[i],
      seed,
      env
    }
    const index = nodes.length
    nodeOf[i] = index
    byIdentity.set(identity, index)
    nodes.push({
      index,
      name: d.name,
      aliases: [],
      def: d.def,
      params: decoded[i],
      inputs,
      deps: [...new Set(Object.values(inputs))],
      group: d.group,
      static: stat
    })
  }
  const names = new Map<string, number>()
  for (const d of decls) names.set(d.name, nodeOf[d.index]!)
  const dependents: Array<Array<number>> = nodes.map(() => [])
  for (const node of nodes) for (const dep of node.deps) dependents[dep]!.push(node.index)
  return Either.right({ pipeline: p.name, file, nodes, byName: names, dependents, resources: capacity })
}

/**
 * Indices of the named stages and everything upstream of them (`--only`).
 *
 * @since 0.1.0
 * @category utils
 */
export const upstreamClosure = (dag: Dag, roots: ReadonlyArray<number>): ReadonlySet<number> => {
  const seen = new Set<number>()
  const stack = [...roots]
  while (stack.length > 0) {
    const i = stack.pop()!
    if (seen.has(i)) continue
    seen.add(i)
    stack.push(...dag.nodes[i]!.deps)
  }
  return seen
}

/**
 * Indices of the named stages and everything downstream of them (`--force`).
 *
 * @since 0.1.0
 * @category utils
 */
export const downstreamClosure = (dag: Dag, roots: ReadonlyArray<number>): ReadonlySet<number> => {
  const seen = new Set<number>()
  const stack = [...roots]
  while (stack.length > 0) {
    const i = stack.pop()!
    if (seen.has(i)) continue
    seen.add(i)
    stack.push(...dag.dependents[i]!)
  }
  return seen
}

/**
 * Look up stage names for an option, reporting unknown ones.
 *
 * @since 0.1.0
 * @category utils
 */
export const findStages = (dag: Dag, names: ReadonlyArray<string>, option: string): Either.Either<ReadonlyArray<number>, InvalidPipeline> => {
  const out: Array<number> = []
  const problems: Array<PipelineProblem> = []
  for (const name of names) {
    const exact = dag.byName.get(name)
    if (exact !== undefined) {
      out.push(exact)
      continue
    }
    const matches = [...dag.byName.entries()].filter(([k]) => baseName(k) === name).map(([, v]) => v)
    if (matches.length === 0) problems.push(new UnknownStage({ file: dag.file, stage: name, option }))
    out.push(...matches)
  }
  return problems.length > 0 ? Either.left(new InvalidPipeline({ file: dag.file, problems })) : Either.right([...new Set(out)])
}
