/**
 * Canonical JSON and sha256 for cache keys.
 *
 * A cache key must not depend on how a value was written: object key order,
 * `1` vs `1.0`, `-0` vs `0` all hash the same. Anything that has no faithful
 * JSON form (functions, symbols, bigints, NaN, class instances, cycles) is
 * refused rather than silently dropped: a key that cannot be computed makes
 * the stage an error, never a false cache hit (fail closed).
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Data, Either } from "effect"

/**
 * A value could not be put in canonical JSON; `path` points at the culprit
 * (e.g. `$.lr` or `$.layers[2]`).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnhashableValueError extends Data.TaggedError("UnhashableValueError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message(): string {
    return `value at ${this.path} cannot be hashed: ${this.reason}`
  }
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const quote = (s: string): string => JSON.stringify(s)

/**
 * The path of the value being written is kept as a stack of segments and
 * only joined into text when a value is refused: keys of 10,000-stage
 * plans are computed without building a path string per member.
 */
const pathText = (path: ReadonlyArray<string | number>): string =>
  "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")

const refuse = (path: ReadonlyArray<string | number>, reason: string): never => {
  throw new UnhashableValueError({ path: pathText(path), reason })
}

const write = (v: unknown, path: Array<string | number>, seen: Set<object>, out: Array<string>): void => {
  switch (typeof v) {
    case "string":
      out.push(quote(v))
      return
    case "boolean":
      out.push(v ? "true" : "false")
      return
    case "number":
      if (!Number.isFinite(v)) refuse(path, `non-finite number ${v}`)
      // JSON.stringify gives the shortest round-trip form, so 1 and 1.0 agree; -0 folds to 0.
      out.push(Object.is(v, -0) ? "0" : JSON.stringify(v))
      return
    case "object": {
      if (v === null) {
        out.push("null")
        return
      }
      if (seen.has(v)) refuse(path, "cyclic reference")
      seen.add(v)
      if (Array.isArray(v)) {
        out.push("[")
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(",")
          const item = v[i]
          path.push(i)
          if (item === undefined) refuse(path, "undefined array element")
          write(item, path, seen, out)
          path.pop()
        }
        out.push("]")
      } else {
        if (!isPlainObject(v)) refuse(path, `instance of ${v.constructor?.name ?? "unknown class"} (encode it with a Schema first)`)
        const rec = v as Record<string, unknown>
        const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort()
        out.push("{")
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!
          if (i > 0) out.push(",")
          out.push(quote(k), ":")
          path.push(k)
          write(rec[k], path, seen, out)
          path.pop()
        }
        out.push("}")
      }
      seen.delete(v)
      return
    }
    default:
      refuse(path, `${typeof v} has no JSON form`)
  }
}

/**
 * Canonical JSON: sorted keys, no whitespace, shortest number form, `undefined`
 * object members omitted. Fails on values without a faithful JSON form.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJson = (value: unknown): Either.Either<string, UnhashableValueError> => {
  try {
    const out: Array<string> = []
    write(value, [], new Set(), out)
    return Either.right(out.join(""))
  } catch (e) {
    if (e instanceof UnhashableValueError) return Either.left(e)
    return Either.left(new UnhashableValueError({ path: "$", reason: String(e) }))
  }
}

/**
 * Like {@link canonicalJson} but throws the {@link UnhashableValueError};
 * for call sites that have already validated the value.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJsonUnsafe = (value: unknown): string => {
  const out: Array<string> = []
  write(value, [], new Set(), out)
  return out.join("")
}

/**
 * sha256 hex of a string (UTF-8) or bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")
