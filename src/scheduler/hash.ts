/**
 * Canonical JSON and sha256 for cache keys.
 *
 * A cache key must not depend on how a value was written: object key order,
 * `1` vs `1.0`, `-0` vs `0` all hash the same. Anything that has no faithful
 * JSON form (functions, symbols, bigints, NaN, class instances, cycles) is
 * refused rather than silently dropped: a key that cannot be computed makes
 * the stage an error, never a false cache hit (fail closed). The text is
 * `formats/canonicalJson.ts`'s, the one the cache's codec writes too.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Data, Either } from "effect"
import { canonicalJson as canonicalJsonOf, canonicalJsonText, jsonPath, NotJsonError } from "../formats/canonicalJson.js"

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

const unhashable = (e: unknown): UnhashableValueError =>
  e instanceof NotJsonError
    ? new UnhashableValueError({ path: jsonPath(e.path), reason: e.reason })
    : new UnhashableValueError({ path: "$", reason: String(e) })

/**
 * Canonical JSON: sorted keys, no whitespace, shortest number form, `undefined`
 * object members omitted. Fails on values without a faithful JSON form.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJson = (value: unknown): Either.Either<string, UnhashableValueError> =>
  Either.mapLeft(canonicalJsonOf(value), unhashable)

/**
 * Like {@link canonicalJson} but throws the {@link UnhashableValueError};
 * for call sites that have already validated the value.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonicalJsonUnsafe = (value: unknown): string => {
  try {
    return canonicalJsonText(value)
  } catch (e) {
    throw unhashable(e)
  }
}

/**
 * sha256 hex of a string (UTF-8) or bytes.
 *
 * @since 0.1.0
 * @category utils
 */
export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")
