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
import { canonicalJson } from "./hash.js"
import { environmentFacts, fingerprintOf, type Preimage } from "./keys.js"
import { nearest } from "./nearest.js"

/**
 * A `--set TARGET.param=value` override (value already parsed). `stage` is a
 * stage kind (every instance of it), a name given in the pipeline (every
 * sweep instance of it) or an exact instance name.
 *
 * @since 0.1.0
 * @category models
 */
export interface Override {
  readonly stage: string
  /** Dotted path inside the params. */
  readonly path: ReadonlyArray<string>
  readonly value: unknown
  /** The argument as written, for messages (default `stage.path=value`). */
  readonly text?: string
  /**
   * Other readings of an unquoted `a.b.c=v` (a target may itself contain
   * dots): tried after `stage`/`path` when that names nothing.
   */
  readonly alternatives?: ReadonlyArray<{ readonly stage: string; readonly path: ReadonlyArray<string> }>
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
  /** Names given in the pipeline (instance names without their sweep label) -> node indices. */
  readonly declared: ReadonlyMap<string, ReadonlyArray<number>>
  /** What each `--set` override touched: its text and the instance names (after merging). */
  readonly overrides: ReadonlyArray<{ readonly text: string; readonly stages: ReadonlyArray<string> }>
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

/** The Schema of a stage declared without `params`: it takes none. */
const NoParams = Schema.Struct({})

/** Decode params with the stage's Schema and re-encode them canonically. */
const decodeParams = (def: AnyStageDef, raw: unknown, file: string): Decoded => {
  const schema: Schema.Schema<any, any, never> | undefined = def.params ?? NoParams
  if (!Schema.isSchema(schema)) {
    return { _tag: "problems", make: (stage) => [new InvalidParams({ file, stage, field: "(params)", detail: `stage kind '${def.name}' declares params that are not an effect Schema` })] }
  }
  const r = Schema.decodeUnknownEither(schema)(raw, parseOptions)
  if (Either.isLeft(r)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(r.left)
    return {
      _tag: "problems",
      make: (stage) =>
        issues.map((issue) => new InvalidParams({ file, stage, field: issue.path.length ? issue.path.map(String).join(".") : "(params)", detail: issue.message }))
    }
  }
  const e = Schema.encodeEither(schema)(r.right)
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

/** The name a declaration was given (or its kind): its instance name without `#n` and `[sweep label]`. */
const declaredName = (name: string, group: string | undefined): string => {
  const plain = name.replace(/#\d+$/, "")
  return group !== undefined && plain.endsWith(`[${group}]`) ? plain.slice(0, -group.length - 2) : plain
}

const setPath = (obj: unknown, path: ReadonlyArray<string>, v: unknown): unknown => {
  if (path.length === 0) return v
  const base = typeof obj === "object" && obj !== null && !Array.isArray(obj) ? (obj as Record<string, unknown>) : {}
  const [head, ...rest] = path as [string, ...Array<string>]
  return { ...base, [head]: setPath(base[head], rest, v) }
}

/** Positions of the characters of `text` that lie outside `[...]` (sweep labels may hold `.` and `=`). */
const outsideBrackets = (text: string, ch: string): Array<number> => {
  const at: Array<number> = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === "[") depth++
    else if (c === "]") depth = Math.max(0, depth - 1)
    else if (c === ch && depth === 0) at.push(i)
  }
  return at
}

/**
 * Parse `TARGET.param=value` (value as JSON when it parses, else the
 * string). TARGET may be quoted (`'finetune[FT] session 1'.train.epochs=1`,
 * the quotes kept through the shell); unquoted, every split at a dot outside
 * `[...]` is a reading, the longest target first (resolve takes the first
 * that names a stage).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseOverride = (text: string): Either.Either<Override, string> => {
  const bad = Either.left(`--set ${text}: expected TARGET.param=value (TARGET: a stage kind, a stage name or an exact instance name, quoted when it holds dots)`)
  const q = text[0]
  if (q === "'" || q === '"') {
    const close = text.indexOf(q, 1)
    if (close < 2 || text[close + 1] !== ".") return bad
    const rest = text.slice(close + 2)
    const eq = rest.indexOf("=")
    if (eq <= 0) return bad
    return Either.right({ stage: text.slice(1, close), path: rest.slice(0, eq).split("."), value: parseValue(rest.slice(eq + 1)), text })
  }
  const eq = outsideBrackets(text, "=")[0]
  if (eq === undefined || eq <= 0) return bad
  const lhs = text.slice(0, eq)
  const value = parseValue(text.slice(eq + 1))
  const dots = outsideBrackets(lhs, ".").filter((d) => d > 0 && d < lhs.length - 1)
  if (dots.length === 0) return bad
  const readings = dots.reverse().map((d) => ({ stage: lhs.slice(0, d), path: lhs.slice(d + 1).split(".") }))
  if (readings.some((r) => r.path.some((k) => k === ""))) return bad
  const [first, ...alternatives] = readings
  return Either.right({ ...first!, value, text, ...(alternatives.length > 0 ? { alternatives } : {}) })
}

const parseValue = (raw: string): unknown => {
  try {
    return JSON.parse(raw)
  } catch {
    return raw
  }
}

/** Instance names listed in an "unknown stage" message before `… and N more`. */
const LISTED = 24

/**
 * What a target can name, for the message of one that names nothing: the
 * nearest name, the kinds, the given names and (some of) the instances.
 */
const availableText = (target: string, kinds: ReadonlyArray<string>, declared: ReadonlyArray<string>, instances: ReadonlyArray<string>): string => {
  const best = nearest(target, new Set([...kinds, ...declared, ...instances]))
  const lines: Array<string> = []
  if (best !== undefined) lines.push(`did you mean '${best}'?`)
  lines.push(`stage kinds (every instance): ${kinds.join(", ")}`)
  const given = declared.filter((d) => !kinds.includes(d) && !instances.includes(d))
  if (given.length > 0) lines.push(`stage names (every sweep instance): ${given.slice(0, LISTED).join(", ")}${given.length > LISTED ? `, … and ${given.length - LISTED} more` : ""}`)
  lines.push(
    `instances: ${instances.slice(0, LISTED).map((n) => (n.replace(/\[.*?\]/g, "").includes(".") ? `'${n}'` : n)).join(", ")}` +
      (instances.length > LISTED ? `, … and ${instances.length - LISTED} more (\`clipcl dag FILE\` lists them)` : "")
  )
  return lines.join("\n  ")
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
  // Every phase reports into one list, so a pipeline's problems are all shown at once.
  const problems: Array<PipelineProblem> = []
  const byName = indexNames(decls, file, problems)
  const declaredOf = decls.map((d) => declaredName(d.name, d.group))
  const { params, touchedDecls } = applyOverrides(decls, declaredOf, overrides, file, problems)
  const decoded = decodeAllParams(decls, params, file, problems)
  const wired = wireInputs(decls, byName, file, problems)
  const order = topologicalOrder(decls, wired, file, problems)
  const { env, fps } = keyParts(p, decls, file, problems)
  const capacity = checkResources(p, decls, file, problems)
  if (problems.length > 0) return Either.left(new InvalidPipeline({ file, problems }))

  const { nodes, nodeOf } = mergeIdentical(decls, order, wired, decoded, fps, env, p.seed ?? 0)
  nameMergedBySharedDims(decls, declaredOf, nodeOf, nodes)
  const { names, declared, dependents } = indexNodes(decls, declaredOf, nodes, nodeOf)
  const touched = overrides.map((o, j) => ({
    text: overrideText(o),
    stages: [...new Set(touchedDecls[j]!.map((i) => nodeOf[i]!))].sort((a, b) => a - b).map((i) => nodes[i]!.name)
  }))
  return Either.right({ pipeline: p.name, file, nodes, byName: names, declared, overrides: touched, dependents, resources: capacity })
}

const overrideText = (o: Override): string => o.text ?? `${o.stage}.${o.path.join(".")}=${JSON.stringify(o.value)}`

/** Instance name -> declaration index; a name declared twice is a problem. */
const indexNames = (decls: ReadonlyArray<Decl>, file: string, problems: Array<PipelineProblem>): Map<string, number> => {
  const byName = new Map<string, number>()
  for (const d of decls) {
    if (byName.has(d.name)) problems.push(new DuplicateName({ file, stage: d.name }))
    else byName.set(d.name, d.index)
  }
  return byName
}

/**
 * The raw params of each declaration after the `--set` overrides, and the
 * declarations each override touched. A target is a kind (every instance),
 * a given name (every sweep instance) or an exact instance; one that names
 * nothing is a problem.
 */
const applyOverrides = (
  decls: ReadonlyArray<Decl>,
  declaredOf: ReadonlyArray<string>,
  overrides: ReadonlyArray<Override>,
  file: string,
  problems: Array<PipelineProblem>
): { readonly params: ReadonlyArray<unknown>; readonly touchedDecls: ReadonlyArray<ReadonlyArray<number>> } => {
  const params: Array<unknown> = decls.map((d) => d.params)
  const touchedDecls: Array<ReadonlyArray<number>> = []
  for (const o of overrides) {
    let targets: Array<Decl> = []
    let path = o.path
    for (const r of [{ stage: o.stage, path: o.path }, ...(o.alternatives ?? [])]) {
      targets = decls.filter((d) => d.name === r.stage || d.def.name === r.stage || declaredOf[d.index] === r.stage)
      path = r.path
      if (targets.length > 0) break
    }
    if (targets.length === 0) {
      const kinds = [...new Set(decls.map((d) => d.def.name))]
      // Name the shortest reading (`finetun` of `finetun.train.epochs`): the likeliest typo.
      const stage = o.alternatives?.[o.alternatives.length - 1]?.stage ?? o.stage
      problems.push(new UnknownStage({ file, stage, option: `--set ${overrideText(o)}`, available: availableText(stage, kinds, [...new Set(declaredOf)], decls.map((d) => d.name)) }))
    }
    for (const d of targets) params[d.index] = setPath(params[d.index], path, o.value)
    touchedDecls.push(targets.map((d) => d.index))
  }
  return { params, touchedDecls }
}

/** Each declaration's params decoded and canonically re-encoded (undefined where they are a problem). */
const decodeAllParams = (
  decls: ReadonlyArray<Decl>,
  params: ReadonlyArray<unknown>,
  file: string,
  problems: Array<PipelineProblem>
): ReadonlyArray<Extract<Decoded, { _tag: "ok" }> | undefined> => {
  const out: Array<Extract<Decoded, { _tag: "ok" }> | undefined> = new Array(decls.length)
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
    out[d.index] = r
  }
  return out
}

/** Each declaration's inputs as input name -> declaration index; unknown, unwired or mistyped inputs are problems. */
const wireInputs = (
  decls: ReadonlyArray<Decl>,
  byName: ReadonlyMap<string, number>,
  file: string,
  problems: Array<PipelineProblem>
): ReadonlyArray<Readonly<Record<string, number>>> => {
  const n = decls.length
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
  return wired
}

/** Declaration indices with inputs first (iterative DFS, colours: 0 new, 1 on stack, 2 done); each cycle is a problem. */
const topologicalOrder = (
  decls: ReadonlyArray<Decl>,
  wired: ReadonlyArray<Readonly<Record<string, number>>>,
  file: string,
  problems: Array<PipelineProblem>
): ReadonlyArray<number> => {
  const n = decls.length
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
  return order
}

/** The environment facts and each declaration's code fingerprint (fail closed: one that cannot be computed is a problem). */
const keyParts = (
  p: Pipeline,
  decls: ReadonlyArray<Decl>,
  file: string,
  problems: Array<PipelineProblem>
): { readonly env: Readonly<Record<string, string>>; readonly fps: ReadonlyArray<string> } => {
  let env: Readonly<Record<string, string>> = {}
  try {
    env = environmentFacts()
  } catch (e) {
    problems.push(new KeyUncomputable({ file, stage: decls[0]?.name ?? p.name, field: "env", detail: String(e) }))
  }
  const fps: Array<string> = new Array(decls.length)
  for (const d of decls) {
    const fp = fingerprintOf(d.def)
    if (Either.isLeft(fp)) problems.push(new KeyUncomputable({ file, stage: d.name, field: "fingerprint", detail: fp.left }))
    else fps[d.index] = fp.right
  }
  return { env, fps }
}

/** The pipeline's resource capacities (1 for any it does not declare); a stage needing more, or a bad amount, is a problem. */
const checkResources = (p: Pipeline, decls: ReadonlyArray<Decl>, file: string, problems: Array<PipelineProblem>): Record<string, number> => {
  const capacity: Record<string, number> = { ...(p.resources ?? {}) }
  for (const d of decls) {
    for (const [r, amount] of Object.entries(d.def.resources ?? {})) {
      capacity[r] ??= 1
      if (!Number.isInteger(amount) || amount < 0) problems.push(new InvalidResources({ file, stage: d.name, resource: r, detail: `amount ${amount} is not a non-negative integer` }))
      else if (amount > capacity[r]!) problems.push(new InvalidResources({ file, stage: d.name, resource: r, detail: `needs ${amount}, the pipeline has ${capacity[r]}` }))
    }
  }
  return capacity
}

/**
 * The nodes: identical instances (same static key parts and same merged
 * inputs) merged into one, in topological order; `nodeOf` maps each
 * declaration to its node.
 */
const mergeIdentical = (
  decls: ReadonlyArray<Decl>,
  order: ReadonlyArray<number>,
  wired: ReadonlyArray<Readonly<Record<string, number>>>,
  decoded: ReadonlyArray<Extract<Decoded, { _tag: "ok" }> | undefined>,
  fps: ReadonlyArray<string>,
  env: Readonly<Record<string, string>>,
  seedDefault: number
): { readonly nodes: Array<Node & { aliases: Array<string> }>; readonly nodeOf: Int32Array } => {
  const nodeOf = new Int32Array(decls.length).fill(-1)
  const byIdentity = new Map<string, number>()
  const nodes: Array<Node & { aliases: Array<string> }> = []
  /** Small ids for (kind, version, fingerprint), to keep identities short. */
  const defIds = new Map<string, number>()
  for (const i of order) {
    const d = decls[i]!
    const params = decoded[i]!
    const seed = d.seed ?? seedDefault
    const defKey = `${d.def.name}\u0000${d.def.version}\u0000${fps[i]!}`
    let defId = defIds.get(defKey)
    if (defId === undefined) defIds.set(defKey, (defId = defIds.size))
    const inputs: Record<string, number> = {}
    for (const k in wired[i]!) inputs[k] = nodeOf[wired[i]![k]!]!
    const names = Object.keys(inputs)
    // Numbers first, then a self-delimiting JSON array, then the canonical params text: unambiguous.
    const identity = `${defId}|${seed}|${names.length === 0 ? "[]" : JSON.stringify(names.sort().map((k) => [k, inputs[k]]))}|${params.text}`
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
      params: params.encoded,
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
      params: params.decoded,
      inputs,
      deps: [...new Set(Object.values(inputs))],
      group: d.group,
      static: stat
    })
  }
  return { nodes, nodeOf }
}

/** The DAG's lookups: every name and alias, every given name, and each node's dependents. */
const indexNodes = (
  decls: ReadonlyArray<Decl>,
  declaredOf: ReadonlyArray<string>,
  nodes: ReadonlyArray<Node>,
  nodeOf: Int32Array
): { readonly names: Map<string, number>; readonly declared: Map<string, Array<number>>; readonly dependents: Array<Array<number>> } => {
  const names = new Map<string, number>()
  for (const d of decls) names.set(d.name, nodeOf[d.index]!)
  for (const node of nodes) names.set(node.name, node.index)
  const declared = new Map<string, Array<number>>()
  for (const d of decls) {
    const list = declared.get(declaredOf[d.index]!)
    const node = nodeOf[d.index]!
    if (list === undefined) declared.set(declaredOf[d.index]!, [node])
    else if (list[list.length - 1] !== node && !list.includes(node)) list.push(node)
  }
  const dependents: Array<Array<number>> = nodes.map(() => [])
  for (const node of nodes) for (const dep of node.deps) dependents[dep]!.push(node.index)
  return { names, declared, dependents }
}

/**
 * Name each node that merges declarations of several sweep points by the
 * sweep dimensions those declarations share (the ones its result depends
 * on): `embedVocabulary[vocabulary=words]` rather than the first point's
 * `embedVocabulary[alpha=0.25,vocabulary=words,part=all]`; with none shared,
 * the plain name. Only the name and group change (keys do not involve
 * names); a name some declaration already uses is not taken.
 */
const nameMergedBySharedDims = (
  decls: ReadonlyArray<Decl>,
  declaredOf: ReadonlyArray<string>,
  nodeOf: Int32Array,
  nodes: Array<Node & { aliases: Array<string> }>
): void => {
  const members: Array<Array<number>> = nodes.map(() => [])
  for (const d of decls) members[nodeOf[d.index]!]!.push(d.index)
  const taken = new Set(decls.map((d) => d.name))
  for (const node of nodes) {
    const ms = members[node.index]!
    if (ms.length < 2) continue
    const first = decls[ms[0]!]!
    const base = declaredOf[first.index]!
    // Derived `#n` names and merges of differently named declarations keep the first name.
    if (first.group === undefined || first.dims === undefined || first.name !== `${base}[${first.group}]`) continue
    if (ms.some((i) => declaredOf[i] !== base || decls[i]!.dims === undefined)) continue
    const label = first.dims
      .map((parts, level) => parts.filter((part) => ms.every((i) => decls[i]!.dims![level]?.includes(part) === true)))
      .filter((parts) => parts.length > 0)
      .map((parts) => parts.join(","))
      .join(";")
    const name = label === "" ? base : `${base}[${label}]`
    if (name === node.name || taken.has(name)) continue
    taken.add(name)
    ;(node as { name: string }).name = name
    ;(node as { group: string | undefined }).group = label === "" ? undefined : label
    node.aliases.splice(0, node.aliases.length, ...ms.map((i) => decls[i]!.name))
  }
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
 * The nodes a target names: every instance of a stage kind, every sweep
 * instance of a name given in the pipeline, or one exact instance (by its
 * name or the name of a declaration merged into it).
 *
 * @since 0.1.0
 * @category utils
 */
export const matchStages = (dag: Dag, target: string): ReadonlyArray<number> => {
  const out = new Set<number>()
  const exact = dag.byName.get(target)
  if (exact !== undefined) out.add(exact)
  for (const i of dag.declared.get(target) ?? []) out.add(i)
  for (const n of dag.nodes) if (n.def.name === target) out.add(n.index)
  return [...out].sort((a, b) => a - b)
}

/**
 * Look up stage targets for an option (`--force`, `--only`, `why`),
 * reporting those that name nothing with what is available.
 *
 * @since 0.1.0
 * @category utils
 */
export const findStages = (dag: Dag, names: ReadonlyArray<string>, option: string): Either.Either<ReadonlyArray<number>, InvalidPipeline> => {
  const out: Array<number> = []
  const problems: Array<PipelineProblem> = []
  for (const raw of names) {
    // A quoted target (quotes kept through the shell) is the same target.
    const name = /^(['"]).*\1$/.test(raw) && raw.length >= 2 ? raw.slice(1, -1) : raw
    const matches = matchStages(dag, name)
    if (matches.length === 0) {
      const kinds = [...new Set(dag.nodes.map((n) => n.def.name))]
      problems.push(new UnknownStage({ file: dag.file, stage: name, option: `${option} ${raw}`, available: availableText(name, kinds, [...dag.declared.keys()], dag.nodes.map((n) => n.name)) }))
    }
    out.push(...matches)
  }
  return problems.length > 0 ? Either.left(new InvalidPipeline({ file: dag.file, problems })) : Either.right([...new Set(out)])
}
