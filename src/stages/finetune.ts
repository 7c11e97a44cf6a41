/**
 * `finetune`: one continual-learning session. The student starts from the
 * `model` input (the pretrained model for the first session, the previous
 * session's model after that) and learns the session's target classes with
 * cross-entropy over image-to-class-prompt logits plus whatever its method
 * adds. `initial` is the pretrained model (ZSCL's teacher). The variants
 * take what was computed once upstream: `finetuneWithTeacher` the
 * teacher's image features from `distill` (LwF, VR-LwF, LwF-VR (ZSCL),
 * GeoDL, iCaRL, ZSCL: the teacher's image encoder then never runs during
 * training), and `finetuneWithVocabulary` those and a vocabulary embedded
 * once by `embedVocabulary` (VR-LwF with `vocabulary: "pool"`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { tf } from "../backend/tf.js"
import type { ClipModel } from "../clip/model.js"
import { fillTemplate } from "../clip/prompts.js"
import { indicesOfClasses, type LabeledImages } from "../data/ImageSet.js"
import { checkpoint, stage, tensors, type CheckpointInput, type TensorSet } from "../dsl/index.js"
import type { StageContext } from "../dsl/Stage.js"
import type { SessionData } from "../methods/data.js"
import { finetune as trainSession } from "../methods/finetune.js"
import { imm } from "../methods/imm.js"
import { makeRng } from "../random.js"
import { disposeWeights } from "../methods/weights.js"
import { readTeacherInput, TeacherInputError } from "./distill.js"
import { DataParams, openExperiment, SessionParams, sessionsOf, tokens } from "./experiment.js"
import { rawImageSource } from "./rawImageSource.js"
import { loadModel, trainHooks } from "./io.js"
import { referencePicks, replayPicks } from "./methodImages.js"
import { makeMethod, MethodParams, teacherImageSets, type MethodResources } from "./methodParams.js"
import { PartParams, TrainParams, trainOptions, validationFraction } from "./params.js"
import { moduleSources } from "../dsl/moduleSources.js"

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

/** The models a session reads, and the content hashes of their checkpoints. */
interface Models {
  readonly model: ClipModel
  readonly initial: ClipModel
  readonly hashes: { readonly model: string; readonly initial: string }
}

/** What was computed once upstream: a vocabulary (`embedVocabulary`) and the teacher's image features (`distill`). */
interface Upstream {
  readonly vocabulary?: TensorSet
  readonly teacher?: TensorSet
}

const run = async (params: Params, seed: number, models: Models, upstream: Upstream, ctx: StageContext) => {
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
    classTokens: tokens(s.seenClassNames.map((c) => fillTemplate(exp.target.templates[0]!, c)), config.contextLength),
    ...(heldOut.length === 0 ? {} : { validation: { images: rawImageSource(train, await train.read(heldOut), config.imageSize), labels: labelsOf(heldOut) } })
  }
  ctx.log(`session ${params.session + 1}/${seq.sessions.length}: ${s.classNames.join(", ")} (${fit.length} images${heldOut.length ? `, ${heldOut.length} held out for the plateau` : ""}, ${s.seen.length} classes seen) with ${params.method.name}`)
  const m = params.method
  const replays = m.name === "GEM" || m.name === "A-GEM" || m.name === "iCaRL"
  const reference = m.name === "ZSCL" ? referencePicks(exp, m.referenceSize, config.contextLength, seed) : undefined
  const memory = replays && params.session > 0 ? replayPicks(exp, seq.sessions.slice(0, params.session), m.memoryPerClass, seed) : undefined
  const teacher = upstream.teacher === undefined ? undefined : teacherFeatures(ctx.stage, upstream.teacher, params, models, { fit, memory: memory?.picks, reference: reference?.picks })
  const vocabulary = upstream.vocabulary
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
    ...(reference === undefined
      ? {}
      : {
          reference: {
            images: rawImageSource(exp.pretrain!, await exp.pretrain!.read(reference.picks), config.imageSize),
            texts: reference.texts,
            ...(teacher?.reference === undefined ? {} : { teacherImages: teacher.reference, teacherTextFeatures: teacher.referenceTexts! })
          }
        }),
    ...(memory === undefined
      ? {}
      : {
          memory: {
            images: rawImageSource(train, await train.read(memory.picks), config.imageSize),
            labels: memory.classes.map((c) => seenIndex.get(c)!),
            sessions: memory.sessions
          },
          ...(teacher?.memory === undefined ? {} : { memoryTeacher: teacher.memory })
        })
  }
  // Replay methods train as plain fine-tuning in the first session: there is nothing to replay yet.
  const method = replays && params.session === 0 ? makeMethod({ name: "FT" }, {}) : makeMethod(m, resources)
  const previous = m.name === "IMM" ? model.getWeights() : undefined
  try {
    const result = await trainSession(model, session, method, { ...trainOptions(params.train, "finetune", seed), part: params.part }, {
      ...trainHooks(ctx, m.name),
      onEpoch: (epoch, score) => {
        if (score !== undefined) ctx.log(`epoch ${epoch + 1}: held-out target accuracy ${(100 * score).toFixed(1)}%`)
      },
      initial,
      ...(teacher?.session === undefined ? {} : { previousImages: teacher.session })
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
    return model.toSafetensorsStream()
  } finally {
    if (previous !== undefined) disposeWeights(previous)
    if (resources.vocabulary?.kind === "pool") resources.vocabulary.teacherFeatures?.dispose()
    teacher?.dispose()
  }
}

/**
 * The teacher's features of the image sets this session's method reads,
 * from a `distill` output: checked to come from the method's teacher and
 * this stage's data, with a row for every image, in the session's order.
 */
const teacherFeatures = (
  stageName: string,
  set: TensorSet,
  params: Params,
  models: Models,
  picks: { readonly fit: Int32Array; readonly memory: Int32Array | undefined; readonly reference: Int32Array | undefined }
) => {
  const need = teacherImageSets(params.method, params.session)
  if (need === undefined) {
    throw new TeacherInputError({ stage: stageName, reason: `${params.method.name} runs no teacher on images in session ${params.session + 1}: use the 'finetune' stage` })
  }
  const input = readTeacherInput(stageName, set, { hash: models.hashes[need.teacher], input: need.teacher }, params.data, models.model.config.embedDim)
  const width = models.model.config.embedDim
  const made: Array<tf.Tensor> = []
  const keep = <T extends tf.Tensor>(t: T): T => (made.push(t), t)
  const scale = keep(tf.scalar(input.scale))
  const features = (name: "session" | "memory" | "reference", rows: Int32Array) => ({ features: keep(tf.tensor2d(input.rows(name, rows), [rows.length, width])), scale })
  try {
    return {
      session: need.session === undefined ? undefined : features("session", picks.fit),
      memory: need.memory === undefined || picks.memory === undefined ? undefined : features("memory", picks.memory),
      reference: need.reference === undefined || picks.reference === undefined ? undefined : features("reference", picks.reference),
      referenceTexts: need.reference === undefined || picks.reference === undefined ? undefined : keep(tf.tensor2d(input.referenceTexts(picks.reference), [picks.reference.length, width])),
      dispose: () => made.forEach((t) => t.dispose())
    }
  } catch (e) {
    made.forEach((t) => t.dispose())
    throw e
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

const withModels = async (
  inputs: { readonly model: CheckpointInput; readonly initial: CheckpointInput },
  body: (models: Models) => Promise<AsyncIterable<Uint8Array>>
): Promise<AsyncIterable<Uint8Array>> => {
  const model = await loadModel(inputs.model)
  const initial = await loadModel(inputs.initial)
  try {
    return await body({ model, initial, hashes: { model: inputs.model.hash, initial: inputs.initial.hash } })
  } finally {
    model.dispose()
    initial.dispose()
  }
}

/** @since 0.1.0 @category stages */
export const finetune = stage({
  name: "finetune",
  version: 1,
  params: Params,
  inputs: { model: checkpoint, initial: checkpoint },
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes,
  run: ({ params, inputs, seed, ctx }) => withModels(inputs, (models) => run(params, seed, models, {}, ctx))
})

/** @since 0.1.0 @category stages */
export const finetuneWithTeacher = stage({
  name: "finetuneWithTeacher",
  version: 1,
  params: Params,
  inputs: { model: checkpoint, initial: checkpoint, teacher: tensors },
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes,
  run: ({ params, inputs, seed, ctx }) => withModels(inputs, (models) => run(params, seed, models, { teacher: inputs.teacher }, ctx))
})

/** @since 0.1.0 @category stages */
export const finetuneWithVocabulary = stage({
  name: "finetuneWithVocabulary",
  version: 2,
  params: Params,
  inputs: { model: checkpoint, initial: checkpoint, vocabulary: tensors, teacher: tensors },
  output: checkpoint,
  resources: { accelerator: 1 },
  hashIncludes,
  run: ({ params, inputs, seed, ctx }) =>
    withModels(inputs, (models) => run(params, seed, models, { vocabulary: inputs.vocabulary, teacher: inputs.teacher }, ctx))
})
