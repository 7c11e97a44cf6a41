/**
 * The paper's study as a pipeline fragment: pretrain (or load) a model,
 * learn the target classes session by session with each method, evaluate
 * after every session, and report one row per method. Pipelines call
 * `study(p, options)`; sweeps call it once per setting and the scheduler
 * merges the shared prefix (pretraining, vocabulary embeddings, teacher
 * features, baselines). A method whose teacher encodes images (LwF, VR-LwF,
 * LwF-VR (ZSCL), GeoDL, iCaRL, ZSCL) gets a `distill` stage per teacher
 * and image set, and trains with `finetuneWithTeacher`. Each evaluation
 * comes back with its row label (method and setting), which only the report
 * takes as a parameter: labels never change what a training or evaluation
 * stage computes.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type { PipelineBuilder } from "../dsl/Pipeline.js"
import type { CheckpointHandle, TableHandle, TensorsHandle } from "../dsl/handles.js"
import { distill } from "./distill.js"
import { evaluate } from "./evaluate.js"
import { embedVocabulary, type VocabularyParams } from "./embedVocabulary.js"
import type { DataParams } from "./experiment.js"
import { finetuneStages } from "./finetune.js"
import { interpolate } from "./interpolate.js"
import { reportOf } from "./report.js"
import { decodeMethod, methodNeeds, teacherImageSets, type CustomMethodParams, type MethodParams } from "./methodParams.js"
import type { PartParams, TrainParams } from "./params.js"

type Encoded<T> = T extends { readonly Encoded: infer E } ? E : never

/**
 * One compared method: a session method, or WiSE-FT over another method's
 * final model.
 *
 * @since 0.1.0
 * @category models
 */
export type StudyMethod =
  | {
      readonly label: string
      /** A built-in method's parameters, or a method defined with `defineMethod` called with its options. */
      readonly method: Encoded<typeof MethodParams> | CustomMethodParams
      readonly train?: Encoded<typeof TrainParams>
      /** A vocabulary embedded once per teacher (`embedVocabulary`), for VR-LwF with `vocabulary: "pool"`. */
      readonly vocabulary?: Encoded<typeof VocabularyParams>
      /** This method's row setting (default: the study's); a baseline shared by several settings names fewer. */
      readonly setting?: Readonly<Record<string, unknown>>
    }
  | { readonly label: string; readonly wiseft: { readonly of: string; readonly alpha: number } }

/**
 * @since 0.1.0
 * @category models
 */
export interface StudyOptions {
  readonly data: Encoded<typeof DataParams>
  readonly sessions: number
  readonly orderSeed?: number
  readonly part?: Encoded<typeof PartParams>
  readonly train?: Encoded<typeof TrainParams>
  readonly methods: ReadonlyArray<StudyMethod>
  /** Extra columns of this study's rows (sweep settings). */
  readonly setting?: Readonly<Record<string, unknown>>
  /**
   * The setting of the pretrained model's row (default `{}`: one row that
   * every setting's zero-shot drop is measured from). Studies whose
   * pretrained rows differ (other sessions) name theirs apart.
   */
  readonly pretrainedSetting?: Readonly<Record<string, unknown>>
  /** Evaluate after every session (default) or only after the last. */
  readonly evaluateEvery?: boolean
}

/**
 * An evaluation table and the results row it belongs to.
 *
 * @since 0.1.0
 * @category models
 */
export interface LabelledTable {
  readonly table: TableHandle
  readonly method: string
  readonly setting: Readonly<Record<string, unknown>>
}

/**
 * Add the study's stages; returns the labelled evaluation tables (pretrained
 * model first) for a report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const study = (p: PipelineBuilder, base: CheckpointHandle, o: StudyOptions): Array<LabelledTable> => {
  const sessions = { count: o.sessions, ...(o.orderSeed === undefined ? {} : { orderSeed: o.orderSeed }) }
  const setting = o.setting ?? {}
  const tables: Array<LabelledTable> = [
    {
      table: p.add(evaluate, { name: "evaluate[pretrained]", params: { data: o.data, sessions, session: -1 }, inputs: { model: base } }),
      method: "pretrained",
      setting: o.pretrainedSetting ?? {}
    }
  ]
  const finals = new Map<string, CheckpointHandle>()
  for (const m of o.methods) {
    if ("wiseft" in m) continue
    // Undecodable method parameters add no distill stage: the finetune stage reports them.
    const method = decodeMethod(m.method)
    const { finetune, finetuneWithTeacher, finetuneWithVocabulary } = finetuneStages(m.method.name)
    let prev = base
    let reference: TensorsHandle | undefined
    for (let s = 0; s < o.sessions; s++) {
      const params = { data: o.data, sessions, session: s, method: m.method, ...(o.part ? { part: o.part } : {}), train: { ...o.train, ...m.train } }
      const name = `finetune[${m.label}] session ${s + 1}`
      // The teacher's image features, computed once per teacher and image set: their key holds no
      // method option or training setting, so every alpha, vocabulary and schedule shares them.
      const sets = Either.isRight(method) ? teacherImageSets(method.right, s) : undefined
      let teacher: TensorsHandle | undefined
      if (sets?.reference !== undefined) {
        reference ??= p.add(distill, { name: `distill[${m.label}] reference`, params: { data: o.data, reference: sets.reference }, inputs: { model: base } })
        teacher = reference
      } else if (sets !== undefined) {
        teacher = p.add(distill, {
          name: `distill[${m.label}] session ${s + 1}`,
          params: { data: o.data, sessions, ...(sets.session === undefined ? {} : { session: sets.session }), ...(sets.memory === undefined ? {} : { memory: sets.memory }) },
          inputs: { model: sets.teacher === "initial" ? base : prev }
        })
      }
      if (Either.isRight(method) && m.vocabulary === undefined && methodNeeds(method.right, s).vocabulary === true) {
        throw new Error(`study method "${m.label}": ${m.method.name} with these options reads a vocabulary embedded once: give the study method a 'vocabulary'`)
      }
      if (m.vocabulary !== undefined) {
        if (teacher === undefined) throw new Error(`study method "${m.label}": a vocabulary is embedded by the session's teacher, and ${m.method.name} runs none on images`)
        // The teacher is the model the session starts from. Identical embeddings (same teacher, same
        // vocabulary) are one cache key, so methods and sweep settings share them.
        const vocabulary = p.add(embedVocabulary, { params: { vocabulary: m.vocabulary }, inputs: { model: prev } })
        prev = p.add(finetuneWithVocabulary, { name, params, inputs: { model: prev, initial: base, vocabulary, teacher } })
      } else if (teacher !== undefined) {
        prev = p.add(finetuneWithTeacher, { name, params, inputs: { model: prev, initial: base, teacher } })
      } else {
        prev = p.add(finetune, { name, params, inputs: { model: prev, initial: base } })
      }
      if (o.evaluateEvery !== false || s === o.sessions - 1) {
        const table = p.add(evaluate, { name: `evaluate[${m.label}] session ${s + 1}`, params: { data: o.data, sessions, session: s }, inputs: { model: prev } })
        tables.push({ table, method: m.label, setting: m.setting ?? setting })
      }
    }
    finals.set(m.label, prev)
  }
  for (const m of o.methods) {
    if (!("wiseft" in m)) continue
    const of = finals.get(m.wiseft.of)
    if (of === undefined) throw new Error(`WiSE-FT "${m.label}" interpolates "${m.wiseft.of}", which is not a method of this study`)
    const merged = p.add(interpolate, { name: `interpolate[${m.label}]`, params: { alpha: m.wiseft.alpha }, inputs: { a: base, b: of } })
    const table = p.add(evaluate, { name: `evaluate[${m.label}] session ${o.sessions}`, params: { data: o.data, sessions, session: o.sessions - 1 }, inputs: { model: merged } })
    tables.push({ table, method: m.label, setting })
  }
  return tables
}

/**
 * The comparison the quickstart and the real-data pipelines run: FT, LwF,
 * VR-LwF (alpha 0.5), ZSCL and WiSE-FT over FT's final model.
 *
 * @since 0.1.0
 * @category constants
 */
export const comparedMethods: ReadonlyArray<StudyMethod> = [
  { label: "FT", method: { name: "FT" } },
  { label: "LwF", method: { name: "LwF" } },
  { label: "VR-LwF", method: { name: "VR-LwF", alpha: 0.5 } },
  // ZSCL distils 1000 reference texts per step on ViT-B/16; 100 keeps its cost near VR-LwF's on two CPU cores.
  { label: "ZSCL", method: { name: "ZSCL", referenceSize: 500, averageEvery: 10, textsPerStep: 100 } },
  { label: "WiSE-FT", wiseft: { of: "FT", alpha: 0.5 } }
]

/**
 * One `report` stage over every evaluation table of a pipeline, labelled as
 * given.
 *
 * @since 0.1.0
 * @category constructors
 */
export const addReport = (p: PipelineBuilder, tables: ReadonlyArray<LabelledTable>, options: { readonly pretrainedMethod?: string } = {}): TableHandle =>
  p.add(reportOf(tables.length), {
    name: "report",
    params: { ...options, labels: tables.map((t) => ({ method: t.method, setting: { ...t.setting } })) },
    inputs: Object.fromEntries(tables.map((t, i) => [`t${i}`, t.table]))
  })
