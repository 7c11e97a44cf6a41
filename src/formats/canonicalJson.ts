/**
 * Canonical JSON: the one text form of a JSON value that cache keys, cached
 * `value` / `table` artifacts and result grouping are built from.
 *
 * Object keys sorted by UTF-16 code units, no whitespace, numbers as
 * JavaScript prints them (shortest round trip, so `1`, `1.0` and `1e0` are
 * one number; `-0` is `0`), `undefined` object members omitted. Anything
 * JSON would silently change is refused instead (fail closed): non-finite
 * numbers, bigints, functions, symbols, `undefined` in an array, non-plain
 * objects (Map, Date, typed arrays, class instances) and cycles. A key that
 * cannot be computed must make its stage an error, never a false cache hit.
 *
 * The cache keys and content hashes of everything already stored depend on
 * these exact bytes: change nothing here without a test that pins them.
 *
 * @since 0.1.0
 */
import { Data, Either } from "effect"

/**
 * A value has no faithful canonical JSON form. `path` holds the keys and
 * indices leading to it (empty for the value itself); callers format it in
 * their own notation.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotJsonError extends Data.TaggedError("NotJsonError")<{
  readonly path: ReadonlyArray<string | number>
  readonly reason: string
}> {
  override get message(): string {
    return `value at ${jsonPath(this.path)} has no canonical JSON form: ${this.reason}`
  }
}

/**
 * A path as `$.a.b[2]`.
 *
 * @since 0.1.0
 * @category utils
 */
export const jsonPath = (path: ReadonlyArray<string | number>): string =>
  "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

const quote = (s: string): string => JSON.stringify(s)

/**
 * The path of the value being written is a stack of segments, copied only
 * when a value is refused: keys of 10,000-stage plans are computed without
 * building a path per member.
 */
const refuse = (path: ReadonlyArray<string | number>, reason: string): never => {
  throw new NotJsonError({ path: [...path], reason })
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
 * Canonical JSON text of `value`; throws a {@link NotJsonError} for a value
 * without a faithful JSON form (for call sites that validated the value, or
 * that turn the error into their own at their edge).
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJsonText = (value: unknown): string => {
  const out: Array<string> = []
  write(value, [], new Set(), out)
  return out.join("")
}

/**
 * Canonical JSON text of `value`, or why it has none.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJson = (value: unknown): Either.Either<string, NotJsonError> => {
  try {
    return Either.right(canonicalJsonText(value))
  } catch (e) {
    if (e instanceof NotJsonError) return Either.left(e)
    return Either.left(new NotJsonError({ path: [], reason: String(e) }))
  }
}
