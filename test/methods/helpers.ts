/** Shared fixtures for the methods tests: a tiny CLIP and a learnable toy session. */
import { tf } from "../../src/backend/tf.js"
import { customConfig } from "../../src/clip/config.js"
import { createClip } from "../../src/clip/model.js"
import { imagesFromTensor, type SessionData } from "../../src/methods/data.js"
import type { MethodModel } from "../../src/methods/model.js"
import { makeRng } from "../../src/random.js"
import { smallFinetuneDefaults, type TrainOptions } from "../../src/methods/train.js"

/** A 1-layer CLIP (full 49408-token vocabulary, so pseudo-classes are valid ids). */
export const tinyConfig = customConfig({
  imageSize: 8, patchSize: 4, visionWidth: 16, visionLayers: 1, visionHeads: 2,
  textWidth: 16, textLayers: 1, textHeads: 2, embedDim: 8, vocabSize: 49408, contextLength: 12,
  activation: "quick_gelu", layerNormEps: 1e-5,
})

export const tinyClip = (seed = 1): MethodModel => createClip(tinyConfig, seed)

/** `[START, t, END, 0...]` prompt for class c. */
export const classPrompt = (c: number): number[] => {
  const row = new Array<number>(tinyConfig.contextLength).fill(0)
  row[0] = 49406
  row[1] = 320 + c
  row[2] = 1000 + 7 * c
  row[3] = 49407
  return row
}

/**
 * `perClass` images of each of `classes` (indices into a class list with
 * `classCount` entries): a per-class pattern plus noise, so CE can fall.
 */
export const toySession = (index: number, classes: number[], classCount: number, perClass: number, seed: number): { session: SessionData; images: tf.Tensor4D } => {
  const rng = makeRng(seed)
  const s = tinyConfig.imageSize
  const labels: number[] = []
  const pixels: number[] = []
  for (const c of classes) {
    for (let k = 0; k < perClass; k++) {
      labels.push(c)
      for (let i = 0; i < s * s * 3; i++) pixels.push(Math.sin((c + 1) * (i + 1) * 0.37) * 1.5 + (rng.next() - 0.5) * 0.6)
    }
  }
  const images = tf.tensor4d(pixels, [labels.length, s, s, 3])
  return {
    images,
    session: { index, images: imagesFromTensor(images), labels, classTokens: Array.from({ length: classCount }, (_, c) => classPrompt(c)) },
  }
}

export const quickOptions = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  ...smallFinetuneDefaults,
  learningRate: 3e-3,
  epochs: 4,
  batchSize: 8,
  seed: 3,
  ...over,
})

/** Numbers of a tensor as a plain array. */
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync())

export const close = (actual: number, expected: number, tol = 1e-5): boolean => Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected))
