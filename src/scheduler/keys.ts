/**
 * Cache keys. A key is the sha256 of the canonical JSON of its pre-image:
 *
 *   { env, fingerprint, inputs, kind, params, seed, version }
 *
 * - `kind`, `version`: the stage definition's name and declared version;
 * - `fingerprint`: sha256 over the source text of `run` and the contents of
 *   every `hashIncludes` file (editing the code invalidates the stage); for
 *   clipcl's own stages the includes cover `run` (`moduleSources`), whose
 *   compiled text is then left out, so `dist/` and `src/` agree;
 * - `params`: the Schema-encoded canonical form of the decoded parameters
 *   (defaults filled in, key order and number spelling irrelevant);
 * - `inputs`: the *content* hashes of the input artifacts (early cutoff: a
 *   re-run upstream stage that yields the same bytes leaves this unchanged);
 * - `seed`;
 * - `env`: environment facts that change numerics: the key format version and
 *   the TensorFlow.js major version. Execution hints (`--jobs`, resources,
 *   backend) are deliberately absent: they must not change results.
 *
 * The pre-image is stored with every run so `plan`/`why` can say which part
 * changed.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Either } from "effect"
import type { CacheKey, ContentHash } from "../cache/CacheStore.js"
import { includesCoverRun } from "../dsl/moduleSources.js"
import type { AnyStageDef } from "../dsl/Stage.js"
import { canonicalJson, canonicalJsonUnsafe, sha256Hex } from "./hash.js"

/**
 * The structured parts of a cache key.
 *
 * @since 0.1.0
 * @category models
 */
export interface Preimage {
  readonly kind: string
  readonly version: number | string
  readonly fingerprint: string
  readonly params: unknown
  readonly inputs: Readonly<Record<string, ContentHash>>
  readonly seed: number
  readonly env: Readonly<Record<string, string>>
}

/**
 * Version of the key format itself; bump when the pre-image changes shape.
 *
 * @since 0.1.0
 * @category utils
 */
export const KEY_FORMAT = "1"

let envMemo: Readonly<Record<string, string>> | undefined

const packageMajor = (pkg: string): string => {
  const require = createRequire(import.meta.url)
  let dir = dirname(require.resolve(pkg))
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string }
      if (json.name === pkg && typeof json.version === "string") return json.version.split(".")[0]!
    } catch {
      /* keep walking up */
    }
    const up = dirname(dir)
    if (up === dir) throw new Error(`package.json of ${pkg} not found`)
    dir = up
  }
}

/**
 * Environment facts that are part of every key (see the module comment).
 * Throws if they cannot be read (fail closed).
 *
 * @since 0.1.0
 * @category utils
 */
export const environmentFacts = (): Readonly<Record<string, string>> => {
  if (envMemo === undefined) envMemo = { keyFormat: KEY_FORMAT, tfjs: packageMajor("@tensorflow/tfjs-core") }
  return envMemo
}

const fingerprints = new WeakMap<AnyStageDef, string>()
const fileHashes = new Map<string, string>()

const includePath = (inc: string | URL): string =>
  inc instanceof URL || inc.startsWith("file:") ? fileURLToPath(inc) : resolve(inc)

/**
 * The implementation fingerprint of a stage definition; `Left(reason)` when
 * it cannot be computed (never a partial fingerprint).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fingerprintOf = (def: AnyStageDef): Either.Either<string, string> => {
  const memo = fingerprints.get(def)
  if (memo !== undefined) return Either.right(memo)
  // clipcl's own stages hash their modules' sources instead of run's compiled text (moduleSources.ts).
  const coversRun = includesCoverRun(def.hashIncludes)
  let source = ""
  if (!coversRun) {
    try {
      source = Function.prototype.toString.call(def.run)
    } catch (e) {
      return Either.left(`run's source cannot be read: ${String(e)}`)
    }
    if (typeof source !== "string" || source.length === 0 || source.includes("[native code]")) {
      return Either.left("run's source cannot be read (native or bound function); wrap it in a plain function")
    }
  }
  const includes: Array<[string, string]> = []
  for (const inc of def.hashIncludes ?? []) {
    let path: string
    try {
      path = includePath(inc)
    } catch (e) {
      return Either.left(`hashIncludes entry ${String(inc)} is not a file path: ${String(e)}`)
    }
    let h = fileHashes.get(path)
    if (h === undefined) {
      try {
        h = sha256Hex(readFileSync(path))
      } catch (e) {
        return Either.left(`hashIncludes file ${String(inc)} cannot be read: ${(e as Error).message ?? String(e)}`)
      }
      fileHashes.set(path, h)
    }
    // Name includes by their given spelling, not absolute path, so keys agree across machines.
    includes.push([String(inc instanceof URL ? inc.pathname.split("/").slice(-2).join("/") : inc), h])
  }
  const fp = sha256Hex(canonicalJsonUnsafe(coversRun ? { includes } : { run: source, includes }))
  fingerprints.set(def, fp)
  return Either.right(fp)
}

/**
 * The cache key of a pre-image.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cacheKey = (pre: Preimage): CacheKey => sha256Hex(canonicalJsonUnsafe(pre)) as CacheKey

/** Canonical text of a pre-image around its inputs, per stage instance. */
const keyTemplates = new WeakMap<object, readonly [string, string] | null>()
const INPUTS_MARK = "\u0000inputs\u0000"

/**
 * `cacheKey({ ...stat, inputs })`, with the canonical text of the static
 * parts computed once per stage instance (a plan of 10,000 instances then
 * serialises only the inputs of each).
 *
 * @since 0.1.0
 * @category constructors
 */
export const stageKey = (stat: Omit<Preimage, "inputs">, inputs: Readonly<Record<string, ContentHash>>): CacheKey => {
  let template = keyTemplates.get(stat)
  if (template === undefined) {
    const text = canonicalJsonUnsafe({ ...stat, inputs: INPUTS_MARK })
    const mark = JSON.stringify(INPUTS_MARK)
    const at = text.indexOf(mark)
    template = at >= 0 && text.indexOf(mark, at + 1) < 0 ? [text.slice(0, at), text.slice(at + mark.length)] : null
    keyTemplates.set(stat, template)
  }
  if (template === null) return cacheKey({ ...stat, inputs })
  return sha256Hex(template[0] + canonicalJsonUnsafe(inputs) + template[1]) as CacheKey
}

/**
 * A provisional key for a stage whose inputs are not yet known: the inputs
 * are replaced by the upstream stages' (provisional) keys. Shown by `plan`;
 * never stored.
 *
 * @since 0.1.0
 * @category constructors
 */
export const provisionalKey = (pre: Omit<Preimage, "inputs">, inputs: Readonly<Record<string, string>>): string =>
  sha256Hex(canonicalJsonUnsafe({ ...pre, inputs, provisional: true }))

const show = (v: unknown): string => {
  const s = typeof v === "string" ? JSON.stringify(v) : Either.getOrElse(canonicalJson(v), () => String(v))
  return s.length > 60 ? `${s.slice(0, 57)}...` : s
}

const diffValues = (path: string, a: unknown, b: unknown, out: Array<string>): void => {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>
    const rb = b as Record<string, unknown>
    const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()
    for (const k of keys) diffValues(path === "" ? k : `${path}.${k}`, ra[k], rb[k], out)
    return
  }
  const sa = a === undefined ? undefined : canonicalJson(a)
  const sb = b === undefined ? undefined : canonicalJson(b)
  const same = sa !== undefined && sb !== undefined && Either.isRight(sa) && Either.isRight(sb) ? sa.right === sb.right : a === b
  if (!same) {
    out.push(a === undefined ? `param ${path} added (${show(b)})` : b === undefined ? `param ${path} removed (was ${show(a)})` : `param ${path} changed: ${show(a)} -> ${show(b)}`)
  }
}

const short = (h: unknown): string => (typeof h === "string" ? h.slice(0, 12) : String(h))

/**
 * Human-readable differences between a stored pre-image and the current
 * one (inputs whose content is not known yet are passed as `null` and
 * reported by the caller instead).
 *
 * @since 0.1.0
 * @category utils
 */
export const diffPreimage = (
  old: unknown,
  cur: Omit<Preimage, "inputs"> & { readonly inputs: Readonly<Record<string, string | null>> }
): ReadonlyArray<string> => {
  if (typeof old !== "object" || old === null) return ["no comparable earlier run"]
  const o = old as Partial<Preimage>
  const out: Array<string> = []
  if (o.kind !== cur.kind) out.push(`stage kind changed: ${String(o.kind)} -> ${cur.kind}`)
  if (o.version !== cur.version) out.push(`version changed: ${String(o.version)} -> ${cur.version}`)
  if (o.fingerprint !== cur.fingerprint) out.push(`code changed (fingerprint ${short(o.fingerprint)} -> ${short(cur.fingerprint)})`)
  diffValues("", o.params ?? {}, cur.params ?? {}, out)
  const oi = (o.inputs ?? {}) as Record<string, string>
  for (const k of [...new Set([...Object.keys(oi), ...Object.keys(cur.inputs)])].sort()) {
    const now = cur.inputs[k]
    if (now === null) continue
    if (oi[k] === undefined) out.push(`input ${k} added`)
    else if (now === undefined) out.push(`input ${k} removed`)
    else if (oi[k] !== now) out.push(`input ${k} changed: ${short(oi[k])} -> ${short(now)}`)
  }
  if (o.seed !== cur.seed) out.push(`seed changed: ${String(o.seed)} -> ${cur.seed}`)
  const oe = (o.env ?? {}) as Record<string, string>
  for (const k of [...new Set([...Object.keys(oe), ...Object.keys(cur.env)])].sort()) {
    if (oe[k] !== cur.env[k]) out.push(`environment ${k} changed: ${String(oe[k])} -> ${String(cur.env[k])}`)
  }
  return out
}
