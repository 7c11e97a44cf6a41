/**
 * `finetune`: one continual-learning session. The student starts from the
 * `model` input (the pretrained model for the first session, the previous
 * session's model after that) and learns the session's target classes with
 * cross-entropy over image-to-class-prompt logits plus whatever its method
 * adds. `initial` is the pretrained model (ZSCL's teacher). The variant
 * `finetuneWithVocabulary` takes a vocabulary embedded once by
 * `embedVocabulary` (VR-LwF with `vocabulary: "pool"`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { tf } from "../backend/tf.js"
import type { ClipModel } from "../clip/model.js"
import { indicesOfClasses, type LabeledImages } from "../data/ImageSet.js"
import { checkpoint, stage, tensors, type TensorSet } from "../dsl/index.js"
import type { StageContext } from "../dsl/Stage.js"
import type { SessionData } from "../methods/data.js"
import { finetune as trainSession } from "../methods/finetune.js"
import { imm } from "../methods/imm.js"
import { makeRng } from "../methods/prng.js"
import type { ReplayMemory } from "../methods/replay.js"
import { disposeWeights } from "../methods/weights.js"
import { DataParams, openExperiment, rawImageSource, SessionParams, sessionsOf, tokens, type Experiment } from "./experiment.js"
import { loadModel, trainHooks } from "./io.js"
import { makeMethod, MethodParams, type MethodResources } from "./methodParams.js"
import { PartParams, TrainParams, trainOptions, validationFraction } from "./params.js"
import { moduleSources } from "./sources.js"

const Params = Schema.Struct({
  data: DataParams,
  sessions: Schema.optionalWith(SessionParams, { default: () => ({ count: 1 }) }),
  /** 0-based session index. */
  session: Schema.Int.pipe(Schema.nonNegative()),
  method: MethodParams,
  part: Schema.optionalWith(PartParams, { default: () => ({ encoder: "all" as const }) }),
  train: Schema.optionalWith(TrainParams, { default: () => ({}) })
})

type Params = typeof Params.Type

/** Pretraining pairs used as ZSCL's reference data. */
const referencePairs = async (exp: Experiment, size: number, imageSize: number, contextLength: number, seed: number) => {
  const set = exp.pretrain
  if (set === undefined) throw new Error(`ZSCL needs reference image-caption pairs; ${exp.name} has none`)
  const n = Math.min(size, set.size)
  const pick = makeRng(seed).permutation(set.size).slice(0, n)
  const raw = await set.read(Int32Array.from(pick))
  return { images: rawImageSource(set, raw, imageSize), texts: tokens(pick.map((i) => set.captions[i]![0]!), contextLength) }
}

/** Exemplars of the classes of earlier sessions (GEM, A-GEM, iCaRL), labels in the seen-class space. */
const replayMemory = async (
  exp: Experiment,
  earlier: ReadonlyArray<{ readonly index: number; readonly classes: ReadonlyArray<number> }>,
  seenIndex: ReadonlyMap<number, number>,
  perClass: number,
  imageSize: number,
  seed: number
): Promise<ReplayMemory> => {
  const rng = makeRng(seed)
  const picks: Array<number> = []
  const labels: Array<number> = []
  const sessions: Array<number> = []
  for (const s of earlier) {
    for (const c of s.classes) {
      const idx = Array.from(indicesOfClasses(exp.target.train, [c]))
      for (const j of rng.permutation(idx.length).slice(0, perClass)) {
        picks.push(idx[j]!)
        labels.push(seenIndex.get(c)!)
        sessions.push(s.index)
      }
    }
  }
  const raw = await exp.target.train.read(Int32Array.from(picks))
  return { images: rawImageSource(exp.target.train, raw, imageSize), labels, sessions }
}

const run = async (params: Params, seed: number, models: { model: ClipModel; initial: ClipModel }, vocabulary: TensorSet | undefined, ctx: StageContext) => {
  const exp = await openExperiment(params.data)
  const seq = sessionsOf(exp, params.sessions)
  const s = seq.sessions[params.session]
  if (s === undefined) throw new Error(`session ${params.session} does not exist: the target task has ${seq.sessions.length} session(s)`)
  const { model, initial } = models
  const config = model.config
  const seenIndex = new Map(s.seen.map((c, i) => [c, i] as const))
  const train = exp.target.train
  const { fit, heldOut } = holdOut(train, s.classes, validationFraction(params.train), seed + 101 * (params.session + 1))
  const labelsOf = (idx: Int32Array) => Array.from(idx, (i) => seenIndex.get(train.labels[i]!)!)
  const session: SessionData = {
    index: params.session,
    images: rawImageSource(train, await train.read(fit), config.imageSize),
    labels: labelsOf(fit),
    classTokens: tokens(s.seenClassNames.map((c) => exp.target.templates[0]!.split("{}").join(c)), config.contextLength),
    ...(heldOut.length === 0 ? {} : { validation: { images: rawImageSource(train, await train.read(heldOut), config.imageSize), labels: labelsOf(heldOut) } })
  }
  ctx.log(`session ${params.session + 1}/${seq.sessions.length}: ${s.classNames.join(", ")} (${fit.length} images${heldOut.length ? `, ${heldOut.length} held out for the plateau` : ""}, ${s.seen.length} classes seen) with ${params.method.name}`)
  const m = params.method
  const resources: MethodResources = {
    ...(vocabulary === undefined
      ? {}
      : {
          vocabulary: {
            kind: "pool" as const,
            ids: rows(vocabulary, "ids"),
            teacherFeatures: tf.tensor2d(vocabulary["features"]!.data as Float32Array, vocabulary["features"]!.shape as [number, number])
          }
        }),
    ...(m.name === "ZSCL" ? { reference: await referencePairs(exp, m.referenceSize, config.imageSize, config.contextLength, seed + 17) } : {}),
    ...(m.name === "GEM" || m.name === "A-GEM" || m.name === "iCaRL"
      ? params.session === 0
        ? {}
        : { memory: await replayMemory(exp, seq.sessions.slice(0, params.session), seenIndex, m.memoryPerClass, config.imageSize, seed + 31) }
      : {})
  }
  // Replay methods train as plain fine-tuning in the first session: there is nothing to replay yet.
  const method = (m.name === "GEM" || m.name === "A-GEM" || m.name === "iCaRL") && params.session === 0 ? makeMethod({ name: "FT" }, {}) : makeMethod(m, resources)
  const previous = m.name === "IMM" ? model.getWeights() : undefined
  try {
    const result = await trainSession(model, session, method, { ...trainOptions(params.train, "finetune", seed), part: params.part }, {
      ...trainHooks(ctx, m.name),
      onEpoch: (epoch, score) => {
        if (score !== undefined) ctx.log(`epoch ${epoch + 1}: held-out target accuracy ${(100 * score).toFixed(1)}%`)
      },
      initial
    })
    if (result.scores.length > 0) {
      ctx.log(`${result.plateaued ? "plateau reached" : "maximum epochs reached"} after ${result.epochs.length} epoch(s)`)
      ctx.progress(result.steps, result.steps, { epochsRun: result.epochs.length, heldOutAccuracy: result.scores.at(-1)! })
    }
    if (previous !== undefined && m.name === "IMM") {
      const merged = imm(previous, model.getWeights(), m.alpha)
      model.setWeights(merged)
      disposeWeights(merged)
    }
    return model.toSafetensors()
  } finally {
    if (previous !== undefined) disposeWeights(previous)
    if (resources.vocabulary?.kind === "pool") resources.vocabulary.teacherFeatures?.dispose()
  }
}

/**
 * Split a session's images into the ones trained on and, per class, a seeded
 * `fraction` held out for the plateau score (at least one per class when
 * the fraction is positive and the class has two or more images).
 */
const holdOut = (set: LabeledImages, classes: ReadonlyArray<number>, fraction: number, seed: number) => {
  const all = indicesOfClasses(set, classes)
  if (fraction <= 0) return { fit: all, heldOut: new Int32Array(0) }
  const rng = makeRng(seed)
  const fit: Array<number> = []
  const heldOut: Array<number> = []
  for (const c of classes) {
    const mine = Array.from(all).filter((i) => set.labels[i] === c)
    const n = mine.length < 2 ? 0 : Math.max(1, Math.round(fraction * mine.length))
    rng.permutation(mine.length).forEach((j, k) => (k < n ? heldOut : fit).push(mine[j]!))
  }
  const sorted = (xs: Array<number>) => Int32Array.from(xs.sort((a, b) => a - b))
  return { fit: sorted(fit), heldOut: sorted(heldOut) }
}

const rows = (set: TensorSet, name: string): number[][] => {
  const t = set[name]
  if (t === undefined || t.shape.length !== 2) throw new Error(`vocabulary input has no 2-D tensor "${name}"`)
  const [n, k] = t.shape as [number, number]
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * k, (i + 1) * k) as ArrayLike<number>, Number))
}

const hashIncludes = moduleSources(import.meta.url)

/** @since 0.1.0 @category stages */
export const finetune = stage({
  name: "finetune",
  version: 1,
  params: Params,
  inputs: { model: checkpoint, initial: checkpoint },
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes,
  run: async ({ params, inputs, seed, ctx }) => {
    const model = await loadModel(inputs.model)
    const initial = await loadModel(inputs.initial)
    try {
      return await run(params, seed, { model, initial }, undefined, ctx)
    } finally {
      model.dispose()
      initial.dispose()
    }
  }
})

/** @since 0.1.0 @category stages */
export const finetuneWithVocabulary = stage({
  name: "finetuneWithVocabulary",
  version: 1,
  params: Params,
  inputs: { model: checkpoint, initial: checkpoint, vocabulary: tensors },
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes,
  run: async ({ params, inputs, seed, ctx }) => {
    const model = await loadModel(inputs.model)
    const initial = await loadModel(inputs.initial)
    try {
      return await run(params, seed, { model, initial }, inputs.vocabulary, ctx)
    } finally {
      model.dispose()
      initial.dispose()
    }
  }
})
