/**
 * Text cleaning and splitting before BPE, as OpenAI's `simple_tokenizer`:
 * HTML-unescape twice, fold every run of white space to one space and strip
 * it, lower-case, then cut into pieces with CLIP's pattern.
 *
 * White space means Python's `str.isspace` (what `\s` and `strip()` mean
 * there), which is not JavaScript's `\s`: it includes the information
 * separators U+001C..U+001F and NEL U+0085, and excludes the BOM U+FEFF.
 *
 * @internal
 */

/** Runs of Python `str.isspace` characters. */
const whitespaceRun = /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g

/** Folds white-space runs to one space and strips both ends (`whitespace_clean` + `strip`). */
export const foldWhitespace = (text: string): string => {
  const folded = text.replace(whitespaceRun, " ")
  let start = 0
  let end = folded.length
  if (start < end && folded.charCodeAt(start) === 0x20) start++
  if (end > start && folded.charCodeAt(end - 1) === 0x20) end--
  return start === 0 && end === folded.length ? folded : folded.slice(start, end)
}

/**
 * CLIP's splitting pattern: the two special-token spellings, English
 * contractions, runs of letters, single digits, and runs of anything else
 * that is not a space. Case-insensitive as in OpenAI's (so `'ſ` counts as
 * `'s`). After `foldWhitespace` the only white space left is U+0020, so the
 * last class names it alone (JavaScript's `\s` would also exclude U+FEFF,
 * which Python keeps as a symbol).
 */
export const splitPattern = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+/giu

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
