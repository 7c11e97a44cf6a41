/**
 * The tokenizer proper: cleaning, splitting, memoised BPE of each piece,
 * framing into rows, and decoding, over a parsed merges table. The public
 * front (`../tokenizer.ts`) documents the behaviour and binds the shared
 * instance.
 *
 * @internal
 */
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import { clipAssetPath } from "./tokenizerAssets.js"
import { bpe, CLIP_MERGE_COUNT, parseMerges, type BpeTable } from "./tokenizerBpe.js"
import { byteOfChar, idOfByte } from "./tokenizerBytes.js"
import { cleanText, splitPieces } from "./tokenizerClean.js"
import { TextTooLongError, TokenIdError, TokenizerFileError, TokenizerInputError } from "./tokenizerErrors.js"
import { makeHtmlUnescape } from "./tokenizerHtml.js"

/** CLIP's context length (ids per row, start and end included). */
export const CONTEXT_LENGTH = 77

/**
 * Options of `tokenize`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenizeOptions {
  /** Ids per row, start and end included (default 77). */
  readonly contextLength?: number
  /** Cut over-long texts to `contextLength` ids, the last one the end id, instead of throwing. */
  readonly truncate?: boolean
}

/**
 * How a tokenizer cleans text; the defaults are OpenAI's `simple_tokenizer`
 * minus ftfy (see the module comment).
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenizerOptions {
  /** `"NFC"` composes characters canonically (as ftfy does) after unescaping; default `"none"`. */
  readonly normalize?: "none" | "NFC"
  /**
   * What the spellings `<|startoftext|>` / `<|endoftext|>` inside a text
   * become: `"control"` (default) their ids 49406 / 49407, as OpenAI's
   * tokenizer and Hugging Face's do; `"text"` ordinary BPE of the characters.
   */
  readonly specialTokens?: "control" | "text"
  /** Merges read after the header line (default CLIP's 48,894 = 49152 - 256 - 2). */
  readonly mergeCount?: number
}

/**
 * A loaded tokenizer. The module-level `tokenize` / `encodeText` /
 * `decodeTokens` use the one built from the shipped merges.
 *
 * @since 0.1.0
 * @category models
 */
export interface Tokenizer {
  /** Where the merges came from (a path, or `"<text>"`). */
  readonly source: string
  /** Number of ids: 512 byte symbols + one per merge + start + end (49,408 for CLIP). */
  readonly vocabSize: number
  readonly startId: number
  readonly endId: number
  /** Symbol text of an id (`"dog</w>"`), as in OpenAI's `decoder`. */
  readonly symbol: (id: number) => string
  /** The text the BPE sees: unescaped twice, folded, stripped, lower-cased. */
  readonly clean: (text: string) => string
  /** BPE ids of a text, without start and end. */
  readonly encodeText: (text: string) => number[]
  /** Rows of `contextLength` ids: start, the text's ids, end, then 0s. */
  readonly tokenize: (texts: ReadonlyArray<string>, opts?: TokenizeOptions) => number[][]
  /** Text of ids; see `decodeTokens`. */
  readonly decodeTokens: (ids: ReadonlyArray<number>) => string
}

/** The named HTML references, loaded on the first text with a `&` in it. */

let htmlUnescape: ((text: string) => string) | undefined
const unescapeHtml = (text: string): string => {
  if (htmlUnescape === undefined) {
    const file = clipAssetPath("html5_entities.json")
    if (file === undefined) {
      throw new TokenizerFileError({ file: "assets/clip/html5_entities.json", reason: "not found beside the package" })
    }
    let table: Record<string, string>
    try {
      table = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>
    } catch (cause) {
      throw new TokenizerFileError({ file, reason: `cannot read the HTML entity table: ${String(cause)}`, cause })
    }
    htmlUnescape = makeHtmlUnescape(new Map(Object.entries(table)))
  }
  return htmlUnescape(text)
}

/** Pieces longer than this are not memoised (a long random word would only fill the cache). */
const CACHE_PIECE_LIMIT = 128
/** The cache is emptied when it reaches this many pieces, bounding memory on endless novel text. */
const CACHE_SIZE_LIMIT = 1 << 18

const shorten = (text: string): string => (text.length > 60 ? text.slice(0, 57) + "..." : text)

const checkOption = <A extends string>(name: string, value: A | undefined, allowed: ReadonlyArray<A>, fallback: A): A => {
  if (value === undefined) return fallback
  if (!allowed.includes(value)) {
    throw new TokenizerInputError({ argument: name, reason: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(value)}` })
  }
  return value
}

export const fromTable = (table: BpeTable, source: string, options: TokenizerOptions): Tokenizer => {
  const normalize = checkOption("normalize", options.normalize, ["none", "NFC"], "none")
  const specialTokens = checkOption("specialTokens", options.specialTokens, ["control", "text"], "control")
  const { startId, endId } = table
  const vocabSize = table.vocab.length
  const cache = new Map<string, ReadonlyArray<number>>()
  if (specialTokens === "control") {
    cache.set("<|startoftext|>", [startId])
    cache.set("<|endoftext|>", [endId])
  }

  const clean = (text: string): string => cleanText(text, unescapeHtml, normalize)

  const encodePiece = (piece: string): ReadonlyArray<number> => {
    const hit = cache.get(piece)
    if (hit !== undefined) return hit
    let word: number[]
    if (/^[\x00-\x7f]*$/.test(piece)) {
      word = new Array<number>(piece.length)
      for (let i = 0; i < piece.length; i++) word[i] = idOfByte[piece.charCodeAt(i)]!
    } else {
      // Lone surrogates become U+FFFD's bytes here (Python would refuse to encode them).
      const bytes = Buffer.from(piece, "utf8")
      word = new Array<number>(bytes.length)
      for (let i = 0; i < bytes.length; i++) word[i] = idOfByte[bytes[i]!]!
    }
    word[word.length - 1] = word[word.length - 1]! + 256
    const ids = bpe(table, word)
    if (piece.length <= CACHE_PIECE_LIMIT) {
      if (cache.size >= CACHE_SIZE_LIMIT) {
        cache.clear()
        if (specialTokens === "control") {
          cache.set("<|startoftext|>", [startId])
          cache.set("<|endoftext|>", [endId])
        }
      }
      cache.set(piece, ids)
    }
    return ids
  }

  const encodeInto = (text: string, out: number[]): void => {
    const pieces = splitPieces(clean(text))
    if (pieces === null) return
    for (const piece of pieces) {
      const ids = encodePiece(piece)
      for (let i = 0; i < ids.length; i++) out.push(ids[i]!)
    }
  }

  const encodeText = (text: string): number[] => {
    if (typeof text !== "string") throw new TokenizerInputError({ argument: "text", reason: `must be a string, got ${typeof text}` })
    const out: number[] = []
    encodeInto(text, out)
    return out
  }

  const tokenize = (texts: ReadonlyArray<string>, opts?: TokenizeOptions): number[][] => {
    if (!Array.isArray(texts)) throw new TokenizerInputError({ argument: "texts", reason: "must be an array of strings" })
    const contextLength = opts?.contextLength ?? CONTEXT_LENGTH
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new TokenizerInputError({ argument: "contextLength", reason: `must be an integer of at least 2 (start and end), got ${contextLength}` })
    }
    const truncate = opts?.truncate === true
    const rows: number[][] = new Array<number[]>(texts.length)
    const ids: number[] = []
    for (let t = 0; t < texts.length; t++) {
      const text = texts[t]
      if (typeof text !== "string") throw new TokenizerInputError({ argument: `texts[${t}]`, reason: `must be a string, got ${typeof text}` })
      ids.length = 0
      encodeInto(text, ids)
      const length = ids.length + 2
      if (length > contextLength && !truncate) {
        throw new TextTooLongError({ index: t, text: shorten(text), characters: text.length, tokens: length, contextLength })
      }
      const row = new Array<number>(contextLength).fill(0)
      row[0] = startId
      const kept = Math.min(ids.length, contextLength - 2)
      for (let i = 0; i < kept; i++) row[i + 1] = ids[i]!
      // Truncation keeps the first contextLength - 1 ids and ends with the end id.
      row[kept + 1] = endId
      rows[t] = row
    }
    return rows
  }

  let idBytes: Uint8Array[] | undefined
  const bytesOf = (id: number): Uint8Array => {
    if (idBytes === undefined) {
      idBytes = table.vocab.map((s) => Uint8Array.from(s, (c) => byteOfChar.get(c) ?? c.charCodeAt(0) & 0xff))
    }
    return idBytes[id]!
  }
  // ignoreBOM keeps a leading U+FEFF, as Python's "utf-8" codec does.
  const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

  const decodeTokens = (ids: ReadonlyArray<number>): string => {
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) throw new TokenizerInputError({ argument: "ids", reason: "must be an array of token ids" })
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new TokenIdError({ id, position: i, vocabSize })
    }
    const begin = ids.length > 0 && ids[0] === startId ? 1 : 0
    let end = ids.length
    for (let i = ids.length - 1; i >= begin; i--) if (ids[i] === endId) { end = i; break }
    let total = 0
    for (let i = begin; i < end; i++) total += bytesOf(ids[i]!).length
    const buffer = new Uint8Array(total)
    let at = 0
    for (let i = begin; i < end; i++) {
      const b = bytesOf(ids[i]!)
      buffer.set(b, at)
      at += b.length
    }
    return utf8.decode(buffer).replaceAll("</w>", " ").replace(/ +$/, "")
  }

  return {
    source,
    vocabSize,
    startId,
    endId,
    symbol: (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new TokenIdError({ id, position: 0, vocabSize })
      return table.vocab[id]!
    },
    clean,
    encodeText,
    tokenize,
    decodeTokens
  }
}

/** A tokenizer from merges text (already decompressed; first line a header). */
export const makeTokenizer = (mergesText: string, options: TokenizerOptions = {}, source = "<text>"): Tokenizer => {
  const mergeCount = options.mergeCount ?? CLIP_MERGE_COUNT
  if (!Number.isInteger(mergeCount) || mergeCount < 1) {
    throw new TokenizerInputError({ argument: "mergeCount", reason: `must be a positive integer, got ${mergeCount}` })
  }
  const parsed = parseMerges(mergesText, mergeCount)
  if (!("vocab" in parsed)) {
    throw new TokenizerFileError({ file: source, reason: parsed.reason, ...(parsed.line === undefined ? {} : { line: parsed.line }) })
  }
  return fromTable(parsed, source, options)
}

/** A tokenizer from a merges file, gzip-compressed (detected by its magic bytes) or plain UTF-8. */
export const loadTokenizer = (path: string, options: TokenizerOptions = {}): Tokenizer => {
  let text: string
  try {
    const raw = readFileSync(path)
    const gzipped = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b
    text = (gzipped ? gunzipSync(raw) : raw).toString("utf8")
  } catch (cause) {
    throw new TokenizerFileError({ file: path, reason: `cannot read the merges: ${cause instanceof Error ? cause.message : String(cause)}`, cause })
  }
  return makeTokenizer(text, options, path)
}

let shared: Tokenizer | undefined

/** The tokenizer of the shipped merges, loaded on first use and kept. */
export const defaultTokenizer = (): Tokenizer => {
  if (shared === undefined) {
    const file = clipAssetPath("bpe_simple_vocab_16e6.txt.gz")
    if (file === undefined) {
      throw new TokenizerFileError({ file: "assets/clip/bpe_simple_vocab_16e6.txt.gz", reason: "not found beside the package" })
    }
    shared = loadTokenizer(file)
  }
  return shared
}
