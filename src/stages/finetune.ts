/**
 * `finetune`: one continual-learning session. The student starts from the
 * `model` input (the pretrained model for the first session, the previous
 * session's model after that) and learns the session's target classes with
 * cross-entropy over image-to-class-prompt logits plus whatever its method
 * adds. `initial` is the pretrained model (read by methods that need it,
 * like ZSCL's teacher). The variants take what was computed once upstream:
 * `finetuneWithTeacher` the teacher's image features from `distill` (for a
 * method whose needs name a teacher on images: the teacher's image encoder
 * then never runs during training), and `finetuneWithVocabulary` those and
 * a vocabulary embedded once by `embedVocabulary` (VR-LwF with
 * `vocabulary: "pool"`).
 *
 * A method defined in a pipeline file (`defineMethod`) trains with its own
 * copies of these stages ({@link finetuneStages}): the same kinds, with the
 * method's parameters and its code in their fingerprint.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { checkpoint, stage, tensors } from "../dsl/index.js"
import { coversRun, moduleSources } from "../dsl/moduleSources.js"
import { DataParams, SessionParams } from "./experiment.js"
import { customSources, MethodParams } from "./methodParams.js"
import { PartParams, TrainParams } from "./params.js"
import { paramsOf } from "../methods/definition.js"
import { methodNamed } from "../methods/registry.js"

const paramsWith = <M extends Schema.Schema.Any>(method: M) =>
  Schema.Struct({
    data: DataParams,
    sessions: Schema.optionalWith(SessionParams, { default: () => ({ count: 1 }) }),
    /** 0-based session index. */
    session: Schema.Int.pipe(Schema.nonNegative()),
    method,
    part: Schema.optionalWith(PartParams, { default: () => ({ encoder: "all" as const }) }),
    train: Schema.optionalWith(TrainParams, { default: () => ({}) })
  })

const Params = paramsWith(MethodParams)

/**
 * The decoded parameters of a fine-tuning stage (any registered method).
 *
 * @since 0.1.0
 * @category models
 */
export type FinetuneParams = Omit<typeof Params.Type, "method"> & { readonly method: { readonly name: string } }

const kinds = <M extends Schema.Schema<any, any, never>>(method: M, hashIncludes: ReadonlyArray<URL>) => {
  const params = paramsWith(method) as unknown as Schema.Schema<
    FinetuneParams & { readonly method: M["Type"] },
    Omit<typeof Params.Encoded, "method"> & { readonly method: M["Encoded"] },
    never
  >
  return {
    finetune: stage({
      name: "finetune",
      version: 1,
      params,
      inputs: { model: checkpoint, initial: checkpoint },
      output: checkpoint,
      resources: { accelerator: 1 },
      hashIncludes,
      run: async ({ params, inputs, seed, ctx }) => (await import("./internal/finetune.js")).runStage(params, seed, inputs, {}, ctx)
    }),
    finetuneWithTeacher: stage({
      name: "finetuneWithTeacher",
      version: 1,
      params,
      inputs: { model: checkpoint, initial: checkpoint, teacher: tensors },
      output: checkpoint,
      resources: { accelerator: 1 },
      hashIncludes,
      run: async ({ params, inputs, seed, ctx }) => (await import("./internal/finetune.js")).runStage(params, seed, inputs, { teacher: inputs.teacher }, ctx)
    }),
    finetuneWithVocabulary: stage({
      name: "finetuneWithVocabulary",
      version: 2,
      params,
      inputs: { model: checkpoint, initial: checkpoint, vocabulary: tensors, teacher: tensors },
      output: checkpoint,
      resources: { accelerator: 1 },
      hashIncludes,
      run: async ({ params, inputs, seed, ctx }) =>
        (await import("./internal/finetune.js")).runStage(params, seed, inputs, { vocabulary: inputs.vocabulary, teacher: inputs.teacher }, ctx)
    })
  }
}

const hashIncludes = moduleSources(import.meta.url)
const builtin = kinds(MethodParams, hashIncludes)

/** @since 0.1.0 @category stages */
export const finetune = builtin.finetune

/** @since 0.1.0 @category stages */
export const finetuneWithTeacher = builtin.finetuneWithTeacher

/** @since 0.1.0 @category stages */
export const finetuneWithVocabulary = builtin.finetuneWithVocabulary

/**
 * The fine-tuning stages of a method, by name.
 *
 * @since 0.1.0
 * @category models
 */
export type FinetuneStages = ReturnType<typeof kinds<Schema.Schema<any, any, never>>>

const custom = new Map<string, { readonly sources: ReadonlyArray<URL>; readonly stages: FinetuneStages }>()

/**
 * The fine-tuning stages that train with method `name`: the built-in
 * stages for a built-in method (or an unknown name, which their parameters
 * then refuse); for a method defined in a pipeline file, copies that take
 * only its parameters and hash its code with theirs, so that editing the
 * method re-runs its sessions and nothing else.
 *
 * @since 0.1.0
 * @category utils
 */
export const finetuneStages = (name: string): FinetuneStages => {
  const sources = customSources(name)
  if (sources === undefined) return builtin as unknown as FinetuneStages
  const known = custom.get(name)
  if (known !== undefined && known.sources === sources) return known.stages
  const byHref = new Map([...hashIncludes, ...sources].map((u) => [u.href, u] as const))
  const includes = [...byHref.values()].sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0))
  // These stages' run is still the one in this module, whose sources the includes hold.
  Object.defineProperty(includes, coversRun, { value: true })
  const stages = kinds(paramsOf(methodNamed(name).entry), includes) as unknown as FinetuneStages
  custom.set(name, { sources, stages })
  return stages
}
