/**
 * The images a session's method reads besides the session's own, by its
 * needs: reference pairs (ZSCL) and a replay memory (GEM, A-GEM, iCaRL). `finetune`
 * trains on them and `distill` encodes them with the teacher; both pick them
 * here, from the same seeds, so the two stages agree on every image.
 *
 * @since 0.1.0
 */
import { indicesOfClasses } from "../data/ImageSet.js"
import { makeRng } from "../random.js"
import { tokens, type Experiment } from "./experiment.js"

/**
 * Reference pairs (ZSCL's): `size` image-caption pairs of the pretraining data
 * (all when it has fewer), drawn with the stage's seed; `picks` index
 * `exp.pretrain`, `texts` are each image's first caption, tokenised.
 *
 * @since 0.1.0
 * @category utils
 */
export const referencePicks = (exp: Experiment, size: number, contextLength: number, seed: number): { readonly picks: Int32Array; readonly texts: Array<Array<number>> } => {
  const set = exp.pretrain
  if (set === undefined) throw new Error(`the method needs reference image-caption pairs of the pretraining data; ${exp.name} has none`)
  const n = Math.min(size, set.size)
  const pick = makeRng(seed + 17).permutation(set.size).slice(0, n)
  return { picks: Int32Array.from(pick), texts: tokens(pick.map((i) => set.captions[i]![0]!), contextLength) }
}

/**
 * The replay memory of a session that follows `earlier`: `perClass` images
 * of each of their classes, drawn with the stage's seed; `picks` index
 * `exp.target.train`, with each image's class and session.
 *
 * @since 0.1.0
 * @category utils
 */
export const replayPicks = (
  exp: Experiment,
  earlier: ReadonlyArray<{ readonly index: number; readonly classes: ReadonlyArray<number> }>,
  perClass: number,
  seed: number
): { readonly picks: Int32Array; readonly classes: ReadonlyArray<number>; readonly sessions: ReadonlyArray<number> } => {
  const rng = makeRng(seed + 31)
  const picks: Array<number> = []
  const classes: Array<number> = []
  const sessions: Array<number> = []
  for (const s of earlier) {
    for (const c of s.classes) {
      const idx = Array.from(indicesOfClasses(exp.target.train, [c]))
      for (const j of rng.permutation(idx.length).slice(0, perClass)) {
        picks.push(idx[j]!)
        classes.push(c)
        sessions.push(s.index)
      }
    }
  }
  return { picks: Int32Array.from(picks), classes, sessions }
}
