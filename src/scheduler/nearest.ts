/**
 * "Did you mean": the known name nearest to a mistyped one, for the CLI's
 * commands and options and for stage targets.
 *
 * @since 0.1.0
 */

/** Levenshtein distance. */
const distance = (a: string, b: string): number => {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/**
 * The candidate nearest to `word` (case aside), when it is near enough to be
 * a typo, or `word` is a prefix of it; the first such candidate on ties.
 *
 * @since 0.1.0
 * @category utils
 */
export const nearest = (word: string, candidates: Iterable<string>): string | undefined => {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestD = Infinity
  for (const c of candidates) {
    const l = c.toLowerCase()
    const d = l.startsWith(w) && w.length >= 2 ? 0.5 : distance(w, l)
    if (d < bestD) [best, bestD] = [c, d]
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}
