/**
 * Finds and loads the compiled N-API addon (`native/build/Release/
 * clipcl_native.node`, built by `scripts/build-native.mjs` at install).
 * Loading never throws: a missing or broken addon is a reason string, and the
 * caller falls back to the plain cpu backend with one notice.
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

/** The functions `native/src/addon.cc` exports. Outputs are caller-allocated. */
export interface NativeAddon {
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number): void
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, meta: Int32Array): void
  unary(op: number, x: Float32Array, out: Float32Array): void
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void
  softmaxGrad(y: Float32Array, dy: Float32Array, out: Float32Array, rows: number, cols: number): void
  /** op: 12 QuickGELU, 13 GELU (the unary op codes). */
  activationGrad(op: number, dy: Float32Array, x: Float32Array, out: Float32Array): void
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array, rows: number, cols: number, eps: number): void
  layerNormGrad(dy: Float32Array, x: Float32Array, gamma: Float32Array, dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array,
    rows: number, cols: number, eps: number): void
  /** One Adam step: m and v in place, new weights into out (may be w). */
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, step: number, beta1: number,
    beta2: number, eps: number, c2: number, weightDecay: number, gradScale: number): void
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, mid: number, inner: number): void
  transpose(x: Float32Array, out: Float32Array, meta: Int32Array): void
  copyBlock(src: Float32Array, dst: Float32Array, meta: Int32Array): void
  gatherRows(table: Float32Array, rows: number, width: number, ids: Int32Array, out: Float32Array): void
  segmentSum(x: Float32Array, width: number, ids: Int32Array, segments: number, out: Float32Array): void
  /** `blas`: the library linked at build time ("none" without one); `gemm`: the GEMM in use now. */
  info(): { threads: number; blas: string; gemm: string; blasThreads: number; blasConfig: string; blasCore: string }
  setThreads(n: number): void
  /** "vendored", "blas" or the linked library's name; returns the GEMM now in use; throws if unavailable. */
  setGemm(name: string): string
}

export type AddonLoad =
  | { readonly ok: true; readonly addon: NativeAddon; readonly path: string }
  | { readonly ok: false; readonly reason: string }

const relative = join("native", "build", "Release", "clipcl_native.node")

/** The package root holds `native/`; walk up from this file (src/ or dist/). */
const candidates = (): string[] => {
  const fromEnv = process.env.CLIPCL_NATIVE_ADDON
  if (fromEnv !== undefined && fromEnv !== "") return [fromEnv]
  const out: string[] = []
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    out.push(join(dir, relative))
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return out
}

let cached: AddonLoad | undefined

export const loadAddon = (): AddonLoad => {
  if (cached !== undefined) return cached
  const path = candidates().find((p) => existsSync(p))
  if (path === undefined) {
    cached = { ok: false, reason: "the native addon is not built (native/build/Release/clipcl_native.node is missing)" }
    return cached
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon
    cached = { ok: true, addon, path }
  } catch (cause) {
    const text = cause instanceof Error ? cause.message.split("\n")[0] : String(cause)
    cached = { ok: false, reason: `the native addon failed to load (${text})` }
  }
  return cached
}
