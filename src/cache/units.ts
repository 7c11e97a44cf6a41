/**
 * Sizes and durations as people type them on the command line
 * (`clipcl cache gc --max-size 20GB --older-than 7d`).
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"

/**
 * A size or duration that does not parse.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidQuantity extends Data.TaggedError("InvalidQuantity")<{
  readonly input: string
  readonly expected: string
}> {
  get message(): string {
    return `cannot read "${this.input}": expected ${this.expected}`
  }
}

// Decimal units are powers of 1000 (as disks are sold), binary ones powers of
// 1024; a bare K/M/G/T means the binary unit, as in `du -h` and docker.
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
  k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000
}

/**
 * Bytes in "20GB" (20e9), "512MiB", "1.5G", "100b" or a bare byte count.
 * Case-insensitive.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseSize = (input: string): Effect.Effect<number, InvalidQuantity> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input)
  const unit = m ? (m[2] === "" ? 1 : SIZE_UNITS[m[2].toLowerCase()]) : undefined
  return m && unit !== undefined
    ? Effect.succeed(Math.floor(Number(m[1]) * unit))
    : Effect.fail(new InvalidQuantity({ input, expected: "a size like 20GB, 512MiB, 1.5G or 1000" }))
}

/**
 * Milliseconds in "7d", "12h", "1h30m", "90s", "2w", "500ms". A unit is
 * required (a bare number is ambiguous).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseDuration = (input: string): Effect.Effect<number, InvalidQuantity> => {
  const bad = Effect.fail(new InvalidQuantity({ input, expected: "a duration like 7d, 12h, 1h30m, 90s or 2w" }))
  const s = input.trim().toLowerCase()
  if (s === "") return bad
  let total = 0
  let rest = s
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w)/.exec(rest)
    if (!m) return bad
    total += Number(m[1]) * DURATION_UNITS[m[2]]
    rest = rest.slice(m[0].length).trimStart()
  }
  return Effect.succeed(Math.round(total))
}

/**
 * "1.50 GiB", "512 B": binary units, three significant digits.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatBytes = (n: number): string => {
  if (n < 1024) return `${n} B`
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"]
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[i]}`
}

/**
 * "3d 4h", "12m 5s", "850ms": the two largest units.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const parts: Array<[number, string]> = [
    [Math.floor(ms / 86_400_000), "d"],
    [Math.floor(ms / 3_600_000) % 24, "h"],
    [Math.floor(ms / 60_000) % 60, "m"],
    [Math.floor(ms / 1000) % 60, "s"]
  ]
  const first = parts.findIndex(([v]) => v > 0)
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, u]) => `${v}${u}`)
    .join(" ")
}
