/**
 * The science of the fine-tuning stages (`finetune.ts`), loaded when one
 * runs: read the session's images, give the method what it needs (replay
 * memory, reference pairs, vocabulary, the teacher's features computed once
 * by `distill`), train, and write the model.
 *
 * @since 0.1.0
 */
import { tf } from "../../backend/tf.js"
import type { ClipModel } from "../../clip/model.js"
import { fillTemplate } from "../../clip/prompts.js"
import { indicesOfClasses, type LabeledImages } from "../../data/ImageSet.js"
import type { CheckpointInput, TensorSet } from "../../dsl/index.js"
import type { StageContext } from "../../dsl/Stage.js"
import type { SessionData } from "../../methods/data.js"
import { finetune as trainSession } from "../../methods/finetune.js"
import { makeRng } from "../../random.js"
import { readTeacherInput, TeacherInputError } from "../distill.js"
import { openExperiment, sessionsOf, tokens } from "../experiment.js"
import { rawImageSource } from "../rawImageSource.js"
import type { FinetuneParams } from "../finetune.js"
import { loadModel, trainHooks } from "../io.js"
import { referencePicks, replayPicks } from "../methodImages.js"
import { makeMethod, methodNeeds, teacherImageSets, type MethodResources } from "../methodParams.js"
import { trainOptions, validationFraction } from "../params.js"

type Params = FinetuneParams

/** The models a session reads, and the content hashes of their checkpoints. */
interface Models {
  readonly model: ClipModel
  /** Loaded only for a method that reads it. */
  readonly initial: ClipModel | undefined
  readonly hashes: { readonly model: string; readonly initial: string }
}

/** What was computed once upstream: a vocabulary (`embedVocabulary`) and the teacher's image features (`distill`). */
interface Upstream {
  readonly vocabulary?: TensorSet
  readonly teacher?: TensorSet
}

/**
 * One session, trained in place on `models.model`; returns its checkpoint.
 *
 * @since 0.1.0
 * @category utils
 */
export const runSession = async (params: Params, seed: number, models: Models, upstream: Upstream, ctx: StageContext) => {
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
  const needs = methodNeeds(m, params.session)
  const reference = needs.reference === undefined ? undefined : referencePicks(exp, needs.reference.size, config.contextLength, seed)
  const memory = needs.memory === undefined ? undefined : replayPicks(exp, seq.sessions.slice(0, params.session), needs.memory.perClass, seed)
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
  try {
    // Before its first session (replay methods: nothing to replay yet) a method trains as plain fine-tuning.
    const method = await makeMethod(m, resources, params.session)
    const result = await trainSession(model, session, method, { ...trainOptions(params.train, "finetune", seed), part: params.part }, {
      ...trainHooks(ctx, m.name),
      onEpoch: (epoch, score) => {
        if (score !== undefined) ctx.log(`epoch ${epoch + 1}: held-out target accuracy ${(100 * score).toFixed(1)}%`)
      },
      ...(initial === undefined ? {} : { initial }),
      ...(teacher?.session === undefined ? {} : { previousImages: teacher.session })
    })
    if (result.scores.length > 0) {
      ctx.log(`${result.plateaued ? "plateau reached" : "maximum epochs reached"} after ${result.epochs.length} epoch(s)`)
      ctx.progress(result.steps, result.steps, { epochsRun: result.epochs.length, heldOutAccuracy: result.scores.at(-1)! })
    }
    return model.toSafetensorsStream()
  } finally {
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

/**
 * Run a session of a fine-tuning stage on its inputs: loads the models (the
 * initial one only for a method that needs it) and frees them after.
 *
 * @since 0.1.0
 * @category utils
 */
export const runStage = async (
  params: Params,
  seed: number,
  inputs: { readonly model: CheckpointInput; readonly initial: CheckpointInput },
  upstream: Upstream,
  ctx: StageContext
): Promise<AsyncIterable<Uint8Array>> => {
  const model = await loadModel(inputs.model)
  try {
    const initial = methodNeeds(params.method, params.session).initial === true ? await loadModel(inputs.initial) : undefined
    try {
      return await runSession(params, seed, { model, initial, hashes: { model: inputs.model.hash, initial: inputs.initial.hash } }, upstream, ctx)
    } finally {
      initial?.dispose()
    }
  } finally {
    model.dispose()
  }
}

