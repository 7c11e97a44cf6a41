/**
 * HTML character-reference decoding with exactly the rules of Python's
 * `html.unescape`, which CLIP's tokenizer applies twice: numeric references
 * (`&#39;`, `&#x27;`, the `;` optional, C1 bytes read as Windows-1252, invalid
 * code points dropped or replaced by U+FFFD) and the full HTML5 table of 2,231
 * named references, where a name not in the table falls back to its longest
 * prefix among the legacy names that need no `;` (`&ampx` -> `&x`).
 *
 * The named table is data (`assets/clip/html5_entities.json`, generated from
 * Python's `html.entities.html5`), handed in by the caller so this module
 * stays pure.
 *
 * @internal
 */

/** Numeric references the HTML5 parser rewrites (Windows-1252 for 0x80..0x9F). */
const invalidCharrefs: ReadonlyMap<number, string> = new Map<number, string>([
  [0x00, "\ufffd"], [0x0d, "\r"], [0x80, "\u20ac"], [0x81, "\x81"], [0x82, "\u201a"], [0x83, "\u0192"],
  [0x84, "\u201e"], [0x85, "\u2026"], [0x86, "\u2020"], [0x87, "\u2021"], [0x88, "\u02c6"], [0x89, "\u2030"],
  [0x8a, "\u0160"], [0x8b, "\u2039"], [0x8c, "\u0152"], [0x8d, "\x8d"], [0x8e, "\u017d"], [0x8f, "\x8f"],
  [0x90, "\x90"], [0x91, "\u2018"], [0x92, "\u2019"], [0x93, "\u201c"], [0x94, "\u201d"], [0x95, "\u2022"],
  [0x96, "\u2013"], [0x97, "\u2014"], [0x98, "\u02dc"], [0x99, "\u2122"], [0x9a, "\u0161"], [0x9b, "\u203a"],
  [0x9c, "\u0153"], [0x9d, "\x9d"], [0x9e, "\u017e"], [0x9f, "\u0178"]
])

/** Code points a numeric reference may not produce: they decode to nothing. */
const isDroppedCodePoint = (n: number): boolean =>
  (n >= 0x01 && n <= 0x08) || n === 0x0b || (n >= 0x0e && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) ||
  (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) === 0xfffe

const numericReference = (digits: string, radix: 10 | 16): string => {
  // Leading zeros do not count; more than 8 significant digits is beyond U+10FFFF anyway.
  const significant = digits.replace(/^0+/, "")
  const n = significant.length > 8 ? Number.POSITIVE_INFINITY : significant === "" ? 0 : parseInt(significant, radix)
  const fixed = invalidCharrefs.get(n)
  if (fixed !== undefined) return fixed
  if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return "\ufffd"
  if (isDroppedCodePoint(n)) return ""
  return String.fromCodePoint(n)
}

/** The reference pattern of Python's `html._charref` (`{1,32}` counts code points). */
const charref = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu

/**
 * Builds an `unescape` over a named-reference table (names as keys, with their
 * `;` where the standard requires one, as in Python's `html.entities.html5`).
 */
export const makeHtmlUnescape = (named: ReadonlyMap<string, string>): ((text: string) => string) => {
  const replace = (_whole: string, ref: string): string => {
    if (ref.charCodeAt(0) === 0x23 /* # */) {
      const hex = ref[1] === "x" || ref[1] === "X"
      const digits = ref.slice(hex ? 2 : 1, ref.endsWith(";") ? -1 : undefined)
      return numericReference(digits, hex ? 16 : 10)
    }
    const exact = named.get(ref)
    if (exact !== undefined) return exact
    // Longest prefix (at least 2 code units, as Python slices str) that is a name.
    for (let x = ref.length - 1; x > 1; x--) {
      const hit = named.get(ref.slice(0, x))
      if (hit !== undefined) return hit + ref.slice(x)
    }
    return "&" + ref
  }
  return (text) => (text.includes("&") ? text.replace(charref, replace) : text)
}
