/**
 * Helpers for readers of many files: bounded concurrency that keeps order,
 * and a deterministic natural order of names. (Image decoding is
 * `formats/image.ts`'s, shared with CLIP.)
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

/** Compares names with digit runs as numbers ("img2" < "img10"), then code units: deterministic, locale-free. */
export const naturalCompare = (a: string, b: string): number => {
  const re = /(\d+)|(\D+)/g
  const pa = a.match(re) ?? []
  const pb = b.match(re) ?? []
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!
    const y = pb[k]!
    const nx = /^\d/.test(x)
    const ny = /^\d/.test(y)
    if (nx && ny) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
      if (x.length !== y.length) return x.length - y.length
    } else if (x !== y) return x < y ? -1 : 1
  }
  if (pa.length !== pb.length) return pa.length - pb.length
  return a < b ? -1 : a > b ? 1 : 0
}
