/**
 * `distill`: a frozen teacher's image features, computed once per session
 * instead of at every step. Training uses no augmentation and CLIP's
 * forward pass has no dropout, so the teacher's features of the images a
 * session reads never change during it: the session's own images (LwF,
 * VR-LwF, LwF-VR (ZSCL), GeoDL; teacher: the model the session starts
 * from), the replay memory (iCaRL; same teacher) and ZSCL's reference pairs
 * (teacher: the pretrained model; also its captions' text features). The
 * output also names the teacher's checkpoint and the data, so
 * `finetuneWithTeacher` refuses features of another model or data set.
 * Its key holds neither method options nor training settings, so every
 * alpha, vocabulary and schedule over one teacher shares one `distill`.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Data, Schema } from "effect"
import { indicesOfClasses } from "../data/ImageSet.js"
import { checkpoint, stage, tensors, type TensorData, type TensorSet } from "../dsl/index.js"
import type { ImageSource } from "../methods/data.js"
import { embedImages } from "../methods/teacher.js"
import { embedVocabulary } from "../methods/vocabulary.js"
import { DataParams, openExperiment, SessionParams, sessionsOf } from "./experiment.js"
import { rawImageSource } from "./rawImageSource.js"
import { loadModel } from "./io.js"
import { referencePicks, replayPicks } from "./methodImages.js"
import { moduleSources } from "../dsl/moduleSources.js"

const NonNegInt = Schema.Int.pipe(Schema.nonNegative())
const PosInt = Schema.Int.pipe(Schema.positive())

/**
 * Which images to encode: a session's training images, the replay memory a
 * session trains with, ZSCL's reference pairs (at least one).
 *
 * @since 0.1.0
 * @category schemas
 */
export const DistillParams = Schema.Struct({
  data: DataParams,
  sessions: Schema.optionalWith(SessionParams, { default: () => ({ count: 1 }) }),
  /** Encode the training images (every image of its classes) of this 0-based session. */
  session: Schema.optional(NonNegInt),
  /** Encode the replay memory session `session` trains with: `perClass` images of each earlier class. */
  memory: Schema.optional(Schema.Struct({ session: PosInt, perClass: PosInt })),
  /** Encode `size` reference image-caption pairs of the pretraining data (images and captions). */
  reference: Schema.optional(Schema.Struct({ size: PosInt }))
}).pipe(
  Schema.filter((p) => p.session !== undefined || p.memory !== undefined || p.reference !== undefined || "names no image set: give session, memory or reference")
)

/**
 * The teacher input of a fine-tuning stage does not fit the session: other
 * model, other data, or an image set it lacks.
 *
 * @since 0.1.0
 * @category errors
 */
export class TeacherInputError extends Data.TaggedError("TeacherInputError")<{
  readonly stage: string
  readonly reason: string
}> {
  override get message() {
    return `${this.stage}: input 'teacher': ${this.reason}`
  }
}

/** What identifies the data an output was made from (the decoded parameters, as `openExperiment` keys them). */
const dataDigest = (data: DataParams): string => createHash("sha256").update(JSON.stringify(data)).digest("hex")

const text = (s: string): TensorData => ({ dtype: "U8", shape: [s.length], data: new TextEncoder().encode(s) })
const textOf = (t: TensorData | undefined): string | undefined => (t === undefined ? undefined : new TextDecoder().decode(t.data as Uint8Array))

/** The image sets `distill` writes; each is `NAME.indices` (into its data set) and `NAME.features`. */
type SetName = "session" | "memory" | "reference"

const hashIncludes = moduleSources(import.meta.url)

/** @since 0.1.0 @category stages */
export const distill = stage({
  name: "distill",
  version: 1,
  params: DistillParams,
  inputs: { model: checkpoint },
  output: tensors,
  resources: { accelerator: 1 },
  hashIncludes,
  run: async ({ params, inputs, seed, ctx }) => {
    const model = await loadModel(inputs.model)
    try {
      const exp = await openExperiment(params.data)
      const { imageSize, contextLength, embedDim } = model.config
      const seq = params.session !== undefined || params.memory !== undefined ? sessionsOf(exp, params.sessions) : undefined
      const sessionAt = (i: number) => {
        const s = seq!.sessions[i]
        if (s === undefined) throw new Error(`session ${i} does not exist: the target task has ${seq!.sessions.length} session(s)`)
        return s
      }
      const train = exp.target.train
      const sets: Array<{ name: SetName; picks: Int32Array; read: () => Promise<ImageSource> }> = []
      if (params.session !== undefined) {
        const picks = indicesOfClasses(train, sessionAt(params.session).classes)
        sets.push({ name: "session", picks, read: async () => rawImageSource(train, await train.read(picks), imageSize) })
      }
      if (params.memory !== undefined) {
        sessionAt(params.memory.session)
        const { picks } = replayPicks(exp, seq!.sessions.slice(0, params.memory.session), params.memory.perClass, seed)
        sets.push({ name: "memory", picks, read: async () => rawImageSource(train, await train.read(picks), imageSize) })
      }
      const reference = params.reference === undefined ? undefined : referencePicks(exp, params.reference.size, contextLength, seed)
      if (reference !== undefined) {
        const set = exp.pretrain!
        sets.push({ name: "reference", picks: reference.picks, read: async () => rawImageSource(set, await set.read(reference.picks), imageSize) })
      }
      const total = sets.reduce((n, s) => n + s.picks.length, 0)
      ctx.log(`encoding ${sets.map((s) => `${s.picks.length} ${s.name} images`).join(", ")} with the teacher`)
      const out: Record<string, TensorData> = { teacher: text(inputs.model.hash), data: text(dataDigest(params.data)) }
      let done = 0
      for (const s of sets) {
        const { features, scale } = await embedImages(model, await s.read(), {
          signal: ctx.signal,
          onBatch: (n) => ctx.progress(done + n, total)
        })
        done += s.picks.length
        out[`${s.name}.indices`] = { dtype: "int32", shape: [s.picks.length], data: s.picks }
        out[`${s.name}.features`] = { dtype: "float32", shape: [s.picks.length, embedDim], data: (await features.data()) as Float32Array }
        out["scale"] = { dtype: "float32", shape: [], data: (await scale.data()) as Float32Array }
        features.dispose()
        scale.dispose()
      }
      if (reference !== undefined) {
        const texts = embedVocabulary(model, reference.texts)
        out["reference.texts"] = { dtype: "float32", shape: texts.shape, data: (await texts.data()) as Float32Array }
        texts.dispose()
      }
      return out
    } finally {
      model.dispose()
    }
  }
})

/**
 * A `distill` output read back for one session: the teacher's scale and its
 * features of any images of its sets, by data-set index.
 *
 * @since 0.1.0
 * @category models
 */
export interface TeacherInput {
  readonly scale: number
  /** Feature rows of images `indices` of set `name`, one row each, in that order. */
  readonly rows: (name: SetName, indices: ArrayLike<number>) => Float32Array
  /** ZSCL's reference caption features, in the order of the reference images `indices`. */
  readonly referenceTexts: (indices: ArrayLike<number>) => Float32Array
}

/**
 * Read a `distill` output as input `teacher` of stage `stage`, checking that
 * it was made by the session's teacher (the checkpoint of input `teacher.input`)
 * from the stage's `data`, with `width`-wide features.
 *
 * @since 0.1.0
 * @category utils
 */
export const readTeacherInput = (
  stage: string,
  set: TensorSet,
  teacher: { readonly hash: string; readonly input: string },
  data: DataParams,
  width: number
): TeacherInput => {
  const fail = (reason: string) => new TeacherInputError({ stage, reason })
  const made = textOf(set["teacher"])
  if (made !== teacher.hash) {
    throw fail(`holds the features of checkpoint ${made?.slice(0, 12) ?? "(none)"}, but this session's teacher is its '${teacher.input}' input (${teacher.hash.slice(0, 12)}): wire the distill stage to that model`)
  }
  if (textOf(set["data"]) !== dataDigest(data)) throw fail("was computed from other data than this stage's 'data' parameters (set distill.data as finetune.data)")
  const scale = set["scale"]
  if (scale === undefined || scale.data.length !== 1) throw fail("has no 'scale' (the teacher's exp(logit_scale))")
  const gather = (name: SetName, tensor: string, indices: ArrayLike<number>): Float32Array => {
    const idx = set[`${name}.indices`]
    const f = set[tensor]
    if (idx === undefined || f === undefined) throw fail(`has no ${name} images (give the distill stage '${name}')`)
    if (f.shape.length !== 2 || f.shape[0] !== idx.data.length || f.shape[1] !== width) {
      throw fail(`'${tensor}' has shape [${f.shape.join(", ")}], expected [${idx.data.length}, ${width}]`)
    }
    const at = new Map<number, number>()
    for (let i = 0; i < idx.data.length; i++) at.set(Number(idx.data[i]), i)
    const src = f.data as Float32Array
    const out = new Float32Array(indices.length * width)
    for (let k = 0; k < indices.length; k++) {
      const row = at.get(indices[k]!)
      if (row === undefined) throw fail(`has no features of ${name} image ${indices[k]} (its '${name}' parameters differ from this stage's)`)
      out.set(src.subarray(row * width, (row + 1) * width), k * width)
    }
    return out
  }
  return {
    scale: Number(scale.data[0]),
    rows: (name, indices) => gather(name, `${name}.features`, indices),
    referenceTexts: (indices) => gather("reference", "reference.texts", indices)
  }
}
