/**
 * CLIP's byte alphabet (GPT-2's `bytes_to_unicode`): every byte gets a
 * printable stand-in character so that merges can be written as text. The
 * printable Latin-1 bytes stand for themselves; the other 68 bytes (controls,
 * space, NBSP, soft hyphen) get U+0100 onwards, in byte order. The vocabulary
 * starts with these 256 characters in this order, so a byte's position here is
 * its token id (and id + 256 is the same byte ending a word).
 *
 * @internal
 */

const isSelfPrinted = (b: number): boolean =>
  (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)

const build = (): { readonly order: ReadonlyArray<number>; readonly chars: ReadonlyArray<string> } => {
  const order: number[] = []
  const codes: number[] = []
  for (let b = 0; b < 256; b++) if (isSelfPrinted(b)) { order.push(b); codes.push(b) }
  let n = 0
  for (let b = 0; b < 256; b++) if (!isSelfPrinted(b)) { order.push(b); codes.push(256 + n); n++ }
  return { order, chars: codes.map((c) => String.fromCharCode(c)) }
}

const table = build()

/** Byte at vocabulary position i (i in 0..255). */
export const byteOfVocabIndex: ReadonlyArray<number> = table.order

/** Stand-in character of the byte at vocabulary position i. */
export const charOfVocabIndex: ReadonlyArray<string> = table.chars

/** Vocabulary id of each byte value (the byte's position in `byteOfVocabIndex`). */
export const idOfByte: Int32Array = (() => {
  const ids = new Int32Array(256)
  table.order.forEach((b, i) => { ids[b] = i })
  return ids
})()

/** Byte value of each stand-in character (inverse of `charOfVocabIndex`). */
export const byteOfChar: ReadonlyMap<string, number> = new Map(table.chars.map((c, i) => [c, table.order[i]!]))
