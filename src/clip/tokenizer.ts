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
import { Context, Effect, Layer } from "effect"
import * as core from "./internal/tokenizerCore.js"
import { TokenizerFileError, TokenizerInputError } from "./internal/tokenizerErrors.js"

/**
 * The tagged errors (documented where they are defined): `TokenizerFileError`
 * (merges or entity file missing / malformed), `TextTooLongError`,
 * `TokenizerInputError` (bad argument), `TokenIdError` (id outside the
 * vocabulary), and their union `TokenizerError`.
 *
 * @since 0.1.0
 * @category errors
 */
export { TextTooLongError, TokenIdError, TokenizerFileError, TokenizerInputError } from "./internal/tokenizerErrors.js"
export type { TokenizerError } from "./internal/tokenizerErrors.js"
export type { Tokenizer, TokenizeOptions, TokenizerOptions } from "./internal/tokenizerCore.js"

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
export const CONTEXT_LENGTH: number = core.CONTEXT_LENGTH

/**
 * A tokenizer from merges text (already decompressed; first line a header,
 * then `first second` per line, best first).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTokenizer: (mergesText: string, options?: core.TokenizerOptions, source?: string) => core.Tokenizer = core.makeTokenizer

/**
 * A tokenizer from a merges file, gzip-compressed (detected by its magic
 * bytes) or plain UTF-8, in the format of CLIP's `bpe_simple_vocab_16e6.txt.gz`.
 * Throws `TokenizerFileError` (with the path, and the line for a malformed
 * merge).
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadTokenizer: (path: string, options?: core.TokenizerOptions) => core.Tokenizer = core.loadTokenizer

/**
 * The tokenizer of the shipped CLIP merges (`assets/clip/`), loaded on first
 * use and kept.
 *
 * @since 0.1.0
 * @category constructors
 */
export const defaultTokenizer: () => core.Tokenizer = core.defaultTokenizer

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
  core.defaultTokenizer().tokenize(texts, opts)

/**
 * BPE ids of one text, without start and end ids
 * (`encodeText("a dog")` is `[320, 1929]`).
 *
 * @since 0.1.0
 * @category utils
 */
export const encodeText = (text: string): number[] => core.defaultTokenizer().encodeText(text)

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
export const decodeTokens = (ids: number[]): string => core.defaultTokenizer().decodeTokens(ids)

/**
 * The tokenizer as a service, for stages that take it from the context.
 *
 * @since 0.1.0
 * @category models
 */
export class ClipTokenizer extends Context.Tag("clipcl/ClipTokenizer")<ClipTokenizer, core.Tokenizer>() {}

/**
 * The shipped CLIP tokenizer as a layer.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenizerLayer: Layer.Layer<ClipTokenizer, TokenizerFileError> = Layer.effect(
  ClipTokenizer,
  Effect.try({
    try: core.defaultTokenizer,
    catch: (e) => (e instanceof TokenizerFileError ? e : new TokenizerFileError({ file: "assets/clip", reason: String(e), cause: e }))
  })
)

/**
 * A tokenizer layer from a custom merges file.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenizerLayerFromFile = (path: string, options: core.TokenizerOptions = {}): Layer.Layer<ClipTokenizer, TokenizerFileError | TokenizerInputError> =>
  Layer.effect(
    ClipTokenizer,
    Effect.try({
      try: () => core.loadTokenizer(path, options),
      catch: (e) =>
        e instanceof TokenizerFileError || e instanceof TokenizerInputError ? e : new TokenizerFileError({ file: path, reason: String(e), cause: e })
    })
  )
