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
import { checkpoint, stage, tensors, type TensorData, type TensorSet } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"
import { NonNegativeInt as NonNegInt, PositiveInt as PosInt } from "../schemas.js"
import { DataParams, SessionParams } from "./experiment.js"

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

/** @since 0.1.0 @category models */
export type DistillParams = typeof DistillParams.Type

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

/** What identifies the data an output was made from (the decoded parameters, as `openExperiment` keys them). @since 0.1.0 @category utils */
export const dataDigest = (data: DataParams): string => createHash("sha256").update(JSON.stringify(data)).digest("hex")

/** @since 0.1.0 @category utils */
export const text = (s: string): TensorData => ({ dtype: "U8", shape: [s.length], data: new TextEncoder().encode(s) })
const textOf = (t: TensorData | undefined): string | undefined => (t === undefined ? undefined : new TextDecoder().decode(t.data as Uint8Array))

/** The image sets `distill` writes; each is `NAME.indices` (into its data set) and `NAME.features`. */
export type SetName = "session" | "memory" | "reference"

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
  run: async ({ params, inputs, seed, ctx }) => (await import("./internal/distill.js")).runDistill(params, inputs, seed, ctx)
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
