/**
 * CLIP's byte-pair encoding over integer symbols.
 *
 * The merges file (first line a header, then `first second` per line, best
 * first) defines the vocabulary: the 256 byte characters, the same with
 * `</w>`, one symbol per merge (`first + second`), then `<|startoftext|>` and
 * `<|endoftext|>`. Symbols are handled as their ids, and a pair of ids as the
 * number `left * 65536 + right`, so the hot loop builds no strings.
 *
 * Two equivalent algorithms: `bpeScan` is OpenAI's loop (find the best-ranked
 * adjacent pair, merge all its occurrences left to right, repeat), quadratic
 * in the word length and fastest for the short words of real text;
 * `bpeHeap` keeps the pairs in a heap ordered by (rank, position) and is
 * O(n log n), for long words (a 10,000-letter "word" must not take minutes).
 * They agree whenever a merge's parts were made by earlier merges only (true
 * of CLIP's file; `monotone` records the check, and `bpe` uses the scan alone
 * otherwise).
 *
 * @internal
 */
import { charOfVocabIndex } from "./tokenizerBytes.js"

/** A parsed merges file. */
export interface BpeTable {
  /** Symbol text of each id (with `</w>` where it ends a word). */
  readonly vocab: ReadonlyArray<string>
  /** Symbol id of each symbol text (the last id wins, as in a Python dict). */
  readonly encoder: ReadonlyMap<string, number>
  /** Rank of each mergeable pair, keyed by `pairKey`. */
  readonly ranks: ReadonlyMap<number, number>
  /** Id of the symbol each rank's merge makes. */
  readonly mergedId: Int32Array
  /** Left and right symbol ids of each rank's pair. */
  readonly left: Int32Array
  readonly right: Int32Array
  /** Whether every merge's parts come from earlier merges (the heap algorithm is exact). */
  readonly monotone: boolean
  readonly startId: number
  readonly endId: number
}

/** Why a merges file was rejected, with the 1-based line at fault when there is one. */
export interface MergesProblem {
  readonly line?: number
  readonly reason: string
}

const PAIR = 65536

/** Key of the adjacent pair (left, right). */
export const pairKey = (left: number, right: number): number => left * PAIR + right

/** Number of merges CLIP uses from its file: 49152 - 256 - 2. */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2

/**
 * Parses merges text (already decompressed) into a table, or reports the
 * problem. `mergeCount` merges are read after the header line (fewer if the
 * file has fewer lines, like OpenAI's slice).
 */
export const parseMerges = (text: string, mergeCount: number): BpeTable | MergesProblem => {
  const vocab: string[] = [...charOfVocabIndex, ...charOfVocabIndex.map((c) => c + "</w>")]
  const firsts: string[] = []
  const seconds: string[] = []
  // Walk the lines without splitting the whole 1.6 MB text (the file has ~262k lines; CLIP reads 48,894).
  let at = text.indexOf("\n") + 1
  while (at > 0 && firsts.length < mergeCount && at < text.length) {
    const stop = text.indexOf("\n", at)
    const end = stop < 0 ? text.length : stop
    const space = text.indexOf(" ", at)
    const nextSpace = space < 0 ? -1 : text.indexOf(" ", space + 1)
    let first: string
    let second: string
    if (space > at && space < end - 1 && (nextSpace < 0 || nextSpace >= end) && text.charCodeAt(end - 1) !== 13) {
      first = text.slice(at, space)
      second = text.slice(space + 1, end)
    } else {
      // Unusual spacing: read it as Python's str.split() would (symbols never contain white space).
      const line = text.slice(at, end)
      const fields = line.split(/[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/).filter((f) => f !== "")
      if (fields.length !== 2) {
        return { line: firsts.length + 2, reason: `expected two symbols separated by a space, got ${JSON.stringify(line.slice(0, 60))}` }
      }
      first = fields[0]!
      second = fields[1]!
    }
    firsts.push(first)
    seconds.push(second)
    vocab.push(first + second)
    at = stop < 0 ? text.length : stop + 1
  }
  const count = firsts.length
  if (count === 0) return { reason: "no merges after the header line" }
  vocab.push("<|startoftext|>", "<|endoftext|>")
  if (vocab.length > PAIR) return { reason: `vocabulary of ${vocab.length} symbols exceeds ${PAIR}` }
  const encoder = new Map<string, number>()
  for (let i = 0; i < vocab.length; i++) encoder.set(vocab[i]!, i)
  const ranks = new Map<number, number>()
  const mergedId = new Int32Array(count)
  const left = new Int32Array(count)
  const right = new Int32Array(count)
  // Latest rank that makes each symbol; -1 for the byte symbols.
  const madeAt = new Int32Array(vocab.length).fill(-1)
  for (let r = 0; r < count; r++) {
    const a = encoder.get(firsts[r]!)
    const b = encoder.get(seconds[r]!)
    if (a === undefined || b === undefined) {
      return { line: r + 2, reason: `symbol ${JSON.stringify(a === undefined ? firsts[r] : seconds[r])} is neither a byte nor made by an earlier merge` }
    }
    const m = encoder.get(vocab[512 + r]!)!
    ranks.set(pairKey(a, b), r)
    mergedId[r] = m
    left[r] = a
    right[r] = b
    if (r > madeAt[m]!) madeAt[m] = r
  }
  // The heap algorithm is exact when no merge uses a symbol made at its own rank or later.
  let monotone = true
  for (let r = 0; r < count && monotone; r++) {
    if (ranks.get(pairKey(left[r]!, right[r]!)) !== r) continue // a duplicate pair: the later rank counts
    if (madeAt[left[r]!]! >= r || madeAt[right[r]!]! >= r) monotone = false
  }
  return { vocab, encoder, ranks, mergedId, left, right, monotone, startId: vocab.length - 2, endId: vocab.length - 1 }
}

/** OpenAI's algorithm on symbol ids: merge every occurrence of the best pair, repeat. */
export const bpeScan = (table: BpeTable, word: ReadonlyArray<number>): number[] => {
  const { ranks, mergedId, left, right } = table
  let w = word.slice()
  while (w.length > 1) {
    let best = -1
    for (let i = 0; i + 1 < w.length; i++) {
      const r = ranks.get(pairKey(w[i]!, w[i + 1]!))
      if (r !== undefined && (best < 0 || r < best)) best = r
    }
    if (best < 0) break
    const a = left[best]!
    const b = right[best]!
    const merged = mergedId[best]!
    const next: number[] = []
    for (let i = 0; i < w.length; i++) {
      if (w[i] === a && i + 1 < w.length && w[i + 1] === b) {
        next.push(merged)
        i++
      } else next.push(w[i]!)
    }
    w = next
  }
  return w
}

const POS = 4294967296

/** Binary min-heap of numbers (`rank * 2^32 + position`). */
const heapPush = (h: number[], v: number): void => {
  let i = h.length
  h.push(v)
  while (i > 0) {
    const parent = (i - 1) >> 1
    if (h[parent]! <= v) break
    h[i] = h[parent]!
    i = parent
  }
  h[i] = v
}

const heapPop = (h: number[]): number => {
  const top = h[0]!
  const last = h.pop()!
  if (h.length > 0) {
    let i = 0
    const n = h.length
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const c = l + 1 < n && h[l + 1]! < h[l]! ? l + 1 : l
      if (h[c]! >= last) break
      h[i] = h[c]!
      i = c
    }
    h[i] = last
  }
  return top
}

/**
 * The same result as `bpeScan` for a monotone table, in O(n log n): a linked
 * list of symbols and a heap of candidate pairs keyed by (rank, left
 * position); stale candidates are skipped when popped.
 */
export const bpeHeap = (table: BpeTable, word: ReadonlyArray<number>): number[] => {
  const { ranks, mergedId } = table
  const n = word.length
  const sym = Int32Array.from(word)
  const next = new Int32Array(n)
  const prev = new Int32Array(n)
  const alive = new Uint8Array(n).fill(1)
  for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1 }
  const heap: number[] = []
  for (let i = 0; i + 1 < n; i++) {
    const r = ranks.get(pairKey(sym[i]!, sym[i + 1]!))
    if (r !== undefined) heapPush(heap, r * POS + i)
  }
  while (heap.length > 0) {
    const top = heapPop(heap)
    const r = Math.floor(top / POS)
    const p = top - r * POS
    const q = next[p]!
    if (alive[p] === 0 || q < 0 || ranks.get(pairKey(sym[p]!, sym[q]!)) !== r) continue
    sym[p] = mergedId[r]!
    alive[q] = 0
    const after = next[q]!
    next[p] = after
    if (after >= 0) prev[after] = p
    const before = prev[p]!
    if (before >= 0) {
      const rb = ranks.get(pairKey(sym[before]!, sym[p]!))
      if (rb !== undefined) heapPush(heap, rb * POS + before)
    }
    if (after >= 0) {
      const ra = ranks.get(pairKey(sym[p]!, sym[after]!))
      if (ra !== undefined) heapPush(heap, ra * POS + p)
    }
  }
  const out: number[] = []
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!)
  return n === 0 ? [] : out
}

/** Words longer than this many symbols use the heap algorithm (when it is exact). */
export const HEAP_THRESHOLD = 64

/** BPE of one word given as symbol ids (the last one already carrying `</w>`). */
export const bpe = (table: BpeTable, word: ReadonlyArray<number>): number[] =>
  word.length > HEAP_THRESHOLD && table.monotone ? bpeHeap(table, word) : bpeScan(table, word)
