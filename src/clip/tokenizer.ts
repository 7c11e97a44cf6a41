/**
 * CLIP's text tokenizer: OpenAI's `simple_tokenizer` (byte-level BPE with
 * `</w>` word ends, 49,408 ids) in TypeScript, id for id.
 *
 * A text is cleaned (HTML-unescaped twice, white space folded to single
 * spaces and stripped, lower-cased), cut into pieces by CLIP's pattern
 * (letters, single digits, contractions, runs of other symbols), and each
 * piece is UTF-8 encoded, spelled in the byte alphabet and merged by the BPE
 * ranks of `assets/clip/bpe_simple_vocab_16e6.txt.gz`. `tokenize` frames the
 * ids as `<|startoftext|>` (49406) ... `<|endoftext|>` (49407) and pads with 0
 * to the context length (77).
 *
 * OpenAI runs `ftfy.fix_text` first. We do not: its repairs (mojibake, curly
 * quotes, ligatures, full-width forms) are heuristics that change ids, and
 * the reference ids this project is checked against (and Hugging Face's
 * `CLIPTokenizer` without ftfy installed) are made without it. Clean text
 * tokenises the same either way; `normalize: "NFC"` adds the one fix of
 * ftfy's that is a standard (canonical composition).
 *
 * The tokenizer loads lazily, once (the merges file is read on the first
 * call), and memoises the ids of every piece, so prompts that repeat words
 * cost a map look-up per piece.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import { gunzipSync } from "node:zlib"
import { clipAssetPath } from "./internal/tokenizerAssets.js"
import { bpe, CLIP_MERGE_COUNT, parseMerges, type BpeTable } from "./internal/tokenizerBpe.js"
import { byteOfChar, idOfByte } from "./internal/tokenizerBytes.js"
import { cleanText, splitPieces } from "./internal/tokenizerClean.js"
import { makeHtmlUnescape } from "./internal/tokenizerHtml.js"

/**
 * Id of `<|startoftext|>` in CLIP's vocabulary.
 *
 * @since 0.1.0
 * @category utils
 */
export const START_OF_TEXT = 49406

/**
 * Id of `<|endoftext|>` in CLIP's vocabulary (the text encoder reads its
 * features at this position, the argmax of the ids).
 *
 * @since 0.1.0
 * @category utils
 */
export const END_OF_TEXT = 49407

/**
 * CLIP's context length: ids per row, start and end included.
 *
 * @since 0.1.0
 * @category utils
 */
export const CONTEXT_LENGTH = 77

/**
 * The merges file (or the HTML entity table beside it) is missing, unreadable
 * or malformed. `line` is the 1-based line of the merges text at fault.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenizerFileError extends Data.TaggedError("TokenizerFileError")<{
  readonly file: string
  readonly reason: string
  readonly line?: number
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.file}${this.line === undefined ? "" : `:${this.line}`}: ${this.reason}`
  }
}

/**
 * A text does not fit the context length (start and end ids included) and
 * `truncate` was not asked for. `text` is shortened to 60 characters;
 * `characters` is the full length.
 *
 * @since 0.1.0
 * @category errors
 */
export class TextTooLongError extends Data.TaggedError("TextTooLongError")<{
  readonly index: number
  readonly text: string
  readonly characters: number
  readonly tokens: number
  readonly contextLength: number
}> {
  override get message(): string {
    return (
      `tokenize: text ${this.index} (${JSON.stringify(this.text)}, ${this.characters} characters) is ` +
      `${this.tokens} tokens with start and end, over the context length ${this.contextLength}; ` +
      `pass { truncate: true } to keep the first ${this.contextLength}`
    )
  }
}

/**
 * An argument the tokenizer cannot take: a text that is not a string, a
 * context length that is not an integer of at least 2, an option value it
 * does not know. `argument` names it (e.g. `texts[3]`, `contextLength`).
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenizerInputError extends Data.TaggedError("TokenizerInputError")<{
  readonly argument: string
  readonly reason: string
}> {
  override get message(): string {
    return `tokenizer: ${this.argument}: ${this.reason}`
  }
}

/**
 * `decodeTokens` got an id outside the vocabulary (or not an integer);
 * `position` is its index in the array.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenIdError extends Data.TaggedError("TokenIdError")<{
  readonly id: number
  readonly position: number
  readonly vocabSize: number
}> {
  override get message(): string {
    return `decodeTokens: ids[${this.position}] = ${this.id} is not a token id (0 .. ${this.vocabSize - 1})`
  }
}

/**
 * Every failure of this module.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenizerError = TokenizerFileError | TextTooLongError | TokenizerInputError | TokenIdError

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

const fromTable = (table: BpeTable, source: string, options: TokenizerOptions): Tokenizer => {
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

/**
 * A tokenizer from merges text (already decompressed; first line a header).
 *
 * @since 0.1.0
 * @category constructors
 */
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

/**
 * A tokenizer from a merges file, gzip-compressed (detected by its magic
 * bytes) or plain UTF-8, in the format of CLIP's `bpe_simple_vocab_16e6.txt.gz`.
 *
 * @since 0.1.0
 * @category constructors
 */
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

/**
 * The tokenizer of the shipped CLIP merges (`assets/clip/`), loaded on first
 * use and kept.
 *
 * @since 0.1.0
 * @category constructors
 */
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

/**
 * CLIP's `clip.tokenize`: one row of `contextLength` (77) ids per text, as
 * start, the text's BPE ids, end, then zero padding. A text that needs more
 * throws `TextTooLongError` unless `truncate`, which keeps the first
 * `contextLength` ids and makes the last one the end id.
 *
 * @since 0.1.0
 * @category utils
 */
export const tokenize = (texts: string[], opts?: { contextLength?: number; truncate?: boolean }): number[][] =>
  defaultTokenizer().tokenize(texts, opts)

/**
 * BPE ids of one text, without start and end ids
 * (`encodeText("a dog")` is `[320, 1929]`).
 *
 * @since 0.1.0
 * @category utils
 */
export const encodeText = (text: string): number[] => defaultTokenizer().encodeText(text)

/**
 * Text of token ids, as OpenAI's `decode` (bytes joined, UTF-8 decoded with
 * U+FFFD for broken sequences, `</w>` read as a space), except that a leading
 * start id and the last end id with everything after it (the padding of a
 * `tokenize` row) are dropped, and the trailing space is trimmed.
 *
 * Round trip: `decodeTokens(encodeText(t))` equals `clean(t)` once spaces are
 * removed from both (decoding puts a space after every piece, so `"dog."`
 * comes back as `"dog ."`). Exceptions: lone surrogates (encoded as
 * U+FFFD), U+0345 (skipped by CLIP's pattern), and a literal
 * `<|startoftext|>` at the very start or `<|endoftext|>` at the very end of
 * a text (read as the framing).
 *
 * @since 0.1.0
 * @category utils
 */
export const decodeTokens = (ids: number[]): string => defaultTokenizer().decodeTokens(ids)

/**
 * The tokenizer as a service, for stages that take it from the context.
 *
 * @since 0.1.0
 * @category models
 */
export class ClipTokenizer extends Context.Tag("clipcl/ClipTokenizer")<ClipTokenizer, Tokenizer>() {}

/**
 * The shipped CLIP tokenizer as a layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const layer: Layer.Layer<ClipTokenizer, TokenizerFileError> = Layer.effect(
  ClipTokenizer,
  Effect.try({
    try: defaultTokenizer,
    catch: (e) => (e instanceof TokenizerFileError ? e : new TokenizerFileError({ file: "assets/clip", reason: String(e), cause: e }))
  })
)

/**
 * A tokenizer layer from a custom merges file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const layerFromFile = (path: string, options: TokenizerOptions = {}): Layer.Layer<ClipTokenizer, TokenizerFileError | TokenizerInputError> =>
  Layer.effect(
    ClipTokenizer,
    Effect.try({
      try: () => loadTokenizer(path, options),
      catch: (e) =>
        e instanceof TokenizerFileError || e instanceof TokenizerInputError ? e : new TokenizerFileError({ file: path, reason: String(e), cause: e })
    })
  )
