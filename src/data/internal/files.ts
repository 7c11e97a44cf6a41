/**
 * Bounded concurrency that keeps order, for readers of many files. (Image
 * decoding is `formats/image.ts`'s, shared with CLIP; the natural order of
 * names is `folderNames.ts`'s.)
 */

/** Runs `f` over `items` with at most `limit` in flight, keeping order. */
export const mapLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A, k: number) => Promise<B>): Promise<Array<B>> => {
  const out = new Array<B>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const k = next++
      out[k] = await f(items[k]!, k)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
