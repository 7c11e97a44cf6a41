// Shared helpers for the CLIP tests: fixture paths and tolerant comparisons.
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"

export const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures")
export const tinyDir = join(fixtures, "clip-tiny")
export const geluDir = join(fixtures, "clip-ref", "clip-gelu")

export const readJson = (path: string): any => JSON.parse(readFileSync(path, "utf8"))

/** NCHW nested arrays (the reference format) -> NHWC tensor (the public API). */
export const nchwToNhwc = (pixels: number[][][][]): tf.Tensor4D =>
  tf.tidy(() => tf.transpose(tf.tensor4d(pixels), [0, 2, 3, 1]) as tf.Tensor4D)

export const maxAbsDiff = (a: number[][], b: number[][]): number => {
  assert.equal(a.length, b.length, "row count")
  let m = 0
  a.forEach((row, i) => {
    assert.equal(row.length, b[i]!.length, `row ${i} length`)
    row.forEach((v, j) => { m = Math.max(m, Math.abs(v - b[i]![j]!)) })
  })
  return m
}

export const assertClose = (actual: number[][], expected: number[][], tol: number, what: string): void => {
  const d = maxAbsDiff(actual, expected)
  assert.ok(d <= tol, `${what}: max |diff| ${d} > ${tol}`)
}
