/** Shared helpers of the cache tests. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createHash } from "node:crypto"
import { Effect, Exit, Cause, Option } from "effect"
import type { Scope } from "effect"
import { make, type CacheStoreOptions, type CacheStoreService } from "../../src/cache/CacheStore.js"

/** A fresh temp folder, removed by the returned cleanup. */
export const tempDir = (): { dir: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-cache-test-"))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex")

/** Deterministic pseudo-random bytes (xorshift), so tests need no fixtures. */
export const bytes = (n: number, seed = 1): Uint8Array => {
  const out = new Uint8Array(n)
  let x = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 255
  }
  return out
}

/** Run `f` with a store at `path` (":memory:" by default), closing it after. */
export const withStore = <A, E>(
  f: (s: CacheStoreService) => Effect.Effect<A, E, Scope.Scope>,
  path = ":memory:",
  options: CacheStoreOptions = {}
): Promise<A> => Effect.runPromise(Effect.scoped(Effect.flatMap(make(path, options), f)))

/** The failure of an effect (fails the test if it succeeded). */
export const failure = async <E>(eff: Effect.Effect<unknown, E>): Promise<E> => {
  const exit = await Effect.runPromiseExit(eff)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got success")
  const f = Cause.failureOption(exit.cause)
  if (Option.isNone(f)) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return f.value
}

/** An async iterable yielding `data` in pieces of the given (cycled) sizes. */
export async function* pieces(data: Uint8Array, sizes: ReadonlyArray<number>): AsyncGenerator<Uint8Array> {
  let off = 0
  let i = 0
  while (off < data.byteLength) {
    const n = Math.max(1, sizes[i++ % sizes.length])
    yield data.subarray(off, off + n)
    off += n
  }
}
