/**
 * Text cleaning and splitting before BPE, as OpenAI's `simple_tokenizer`:
 * HTML-unescape twice, fold every run of white space to one space and strip
 * it, lower-case, then cut into pieces with CLIP's pattern.
 *
 * Two notions of white space meet here, as in OpenAI's code: the folding
 * uses the `regex` module's `\s` (Unicode White_Space), while Python's
 * `str.strip` removes `str.isspace` characters, which also include the
 * information separators U+001C..U+001F. So a U+001C inside a text survives
 * (and becomes a symbol piece) while one at either end is stripped. Neither is
 * JavaScript's `\s`, which also counts the BOM U+FEFF.
 *
 * @internal
 */

/** Runs of Unicode White_Space (the `regex` module's `\s`). */
const whiteSpaceRun = /[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g
/** Leading and trailing Python `str.isspace` characters. */
const edgeSpace = /^[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g

/** Folds white-space runs to one space and strips both ends (`whitespace_clean` after `strip`). */
export const foldWhitespace = (text: string): string => text.replace(whiteSpaceRun, " ").replace(edgeSpace, "")

/**
 * CLIP's splitting pattern: the two special-token spellings, English
 * contractions, runs of letters, single digits, and runs of anything else
 * that is not a space. Case-insensitive as in OpenAI's (so `'ſ` counts as
 * `'s`). After `foldWhitespace` the only White_Space left is U+0020, so the
 * last class names it alone.
 */
export const splitPattern = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+/giu

/**
 * The pieces of a cleaned text. One character needs care: U+0345 (combining
 * ypogegrammeni, a mark whose case folding is the letter iota). Under
 * case-insensitive matching JavaScript counts it as a letter, while Python's
 * `regex` puts it in neither class and skips it like a space; it is turned
 * into a space first so the pieces agree.
 */
export const splitPieces = (cleaned: string): RegExpMatchArray | null =>
  (cleaned.includes("\u0345") ? cleaned.replace(/\u0345/g, " ") : cleaned).match(splitPattern)

/** The text the BPE sees: unescaped twice, normalised if asked, folded, lower-cased. */
export const cleanText = (
  text: string,
  unescape: (text: string) => string,
  normalize: "none" | "NFC"
): string => {
  let t = text.includes("&") ? unescape(unescape(text)) : text
  if (normalize === "NFC") t = t.normalize("NFC")
  return foldWhitespace(t).toLowerCase()
}
