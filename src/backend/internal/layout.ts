/**
 * Pure shape arithmetic for the native kernels: broadcasting strides and
 * transposition, with adjacent dimensions merged wherever the memory layout
 * allows, so the C++ inner loops run over the longest contiguous runs.
 */

const contiguousStrides = (shape: ReadonlyArray<number>): number[] => {
  const s = new Array<number>(shape.length)
  let acc = 1
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc
    acc *= shape[i]
  }
  return s
}

/** numpy broadcasting of two shapes; undefined where they do not broadcast. */
export const broadcastShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number[] | undefined => {
  const r = Math.max(a.length, b.length)
  const out = new Array<number>(r)
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1
    const db = b[b.length - r + i] ?? 1
    if (da !== db && da !== 1 && db !== 1) return undefined
    out[i] = da === 1 ? db : da
  }
  return out
}

/**
 * `[rank, shape..., strideA..., strideB...]` for `out = a op b` over the
 * broadcast shape `out`: a stride is 0 along a broadcast dimension. Size-1
 * dimensions are dropped and neighbours merged when both operands walk them
 * as one run (stride[i] = stride[i+1] * shape[i+1]).
 */
export const broadcastMeta = (a: ReadonlyArray<number>, b: ReadonlyArray<number>, out: ReadonlyArray<number>): Int32Array => {
  const r = out.length
  const pa = [...new Array<number>(r - a.length).fill(1), ...a]
  const pb = [...new Array<number>(r - b.length).fill(1), ...b]
  const ca = contiguousStrides(pa)
  const cb = contiguousStrides(pb)
  const shape: number[] = []
  const sa: number[] = []
  const sb: number[] = []
  for (let i = 0; i < r; i++) {
    if (out[i] === 1) continue
    const xa = pa[i] === 1 ? 0 : ca[i]
    const xb = pb[i] === 1 ? 0 : cb[i]
    const last = shape.length - 1
    if (last >= 0 && sa[last] === xa * out[i] && sb[last] === xb * out[i]) {
      shape[last] *= out[i]
      sa[last] = xa
      sb[last] = xb
    } else {
      shape.push(out[i])
      sa.push(xa)
      sb.push(xb)
    }
  }
  return Int32Array.from([shape.length, ...shape, ...sa, ...sb])
}

/**
 * `[rank, shape..., perm...]` for a transpose of `shape` by `perm`, with
 * size-1 dimensions dropped and input dimensions that stay neighbours in the
 * output merged (the attention head split keeps head_dim contiguous, so it
 * becomes a copy of whole rows).
 */
export const transposeMeta = (shape: ReadonlyArray<number>, perm: ReadonlyArray<number>): Int32Array => {
  const keep = perm.filter((d) => shape[d] !== 1)
  // Groups of input dims, in output order, that are consecutive in the input.
  const groups: number[][] = []
  for (const d of keep) {
    const g = groups[groups.length - 1]
    if (g !== undefined && nextKept(shape, g[g.length - 1]) === d) g.push(d)
    else groups.push([d])
  }
  // Number the groups by their position in the input.
  const order = groups.map((g, i) => ({ first: g[0], i })).sort((x, y) => x.first - y.first)
  const inputRank = new Array<number>(groups.length)
  order.forEach((o, pos) => {
    inputRank[o.i] = pos
  })
  const inShape = order.map((o) => groups[o.i].reduce((acc, d) => acc * shape[d], 1))
  return Int32Array.from([groups.length, ...inShape, ...inputRank])
}

/** The next input dimension after `d` whose size is not 1 (or -1). */
const nextKept = (shape: ReadonlyArray<number>, d: number): number => {
  for (let i = d + 1; i < shape.length; i++) if (shape[i] !== 1) return i
  return -1
}
