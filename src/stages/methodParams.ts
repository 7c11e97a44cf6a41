/**
 * The continual-learning method a `finetune` session uses, as validated
 * parameters, and its construction from them. One entry per method in
 * `src/methods`; each option left out takes that method's default.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { agem } from "../methods/agem.js"
import { geodl } from "../methods/geodl.js"
import { gem } from "../methods/gem.js"
import { icarl } from "../methods/icarl.js"
import { lwf } from "../methods/lwf.js"
import { lwfVrZscl } from "../methods/lwfvrZscl.js"
import { ft, type Method } from "../methods/method.js"
import type { ReplayMemory } from "../methods/replay.js"
import type { TeacherImageFeatures } from "../methods/teacher.js"
import { rkr } from "../methods/rkr.js"
import { vrlwf, type Vocabulary } from "../methods/vrlwf.js"
import { zscl, type ZsclReference } from "../methods/zscl.js"

const Num = Schema.Number
const NonNeg = Schema.Number.pipe(Schema.nonNegative())
const PosInt = Schema.Int.pipe(Schema.positive())
const opt = <S extends Schema.Schema.Any>(s: S) => Schema.optional(s)

/**
 * @since 0.1.0
 * @category schemas
 */
export const MethodParams = Schema.Union(
  Schema.Struct({ name: Schema.Literal("FT") }),
  Schema.Struct({ name: Schema.Literal("LwF"), alpha: opt(NonNeg), temperature: opt(Num.pipe(Schema.positive())) }),
  Schema.Struct({
    name: Schema.Literal("VR-LwF"),
    alpha: opt(NonNeg),
    /** Pseudo-classes drawn per batch. */
    count: opt(PosInt),
    /** Random tokens per pseudo-class. */
    length: opt(PosInt),
    temperature: opt(Num.pipe(Schema.positive())),
    /** "random": redraw every batch (the paper); "pool": sample a vocabulary embedded once (`embedVocabulary`). */
    vocabulary: Schema.optionalWith(Schema.Literal("random", "pool"), { default: () => "random" as const })
  }),
  Schema.Struct({
    name: Schema.Literal("LwF-VR (ZSCL)"),
    sequences: opt(PosInt),
    length: opt(PosInt),
    temperature: opt(Num.pipe(Schema.positive())),
    weight: opt(NonNeg)
  }),
  Schema.Struct({
    name: Schema.Literal("ZSCL"),
    weight: opt(NonNeg),
    temperature: opt(Num.pipe(Schema.positive())),
    averageEvery: opt(Schema.Int.pipe(Schema.nonNegative())),
    /** Reference texts distilled per step (ZSCL: 1000; the student encodes each one every step). */
    textsPerStep: opt(PosInt),
    /** Reference image-caption pairs drawn from the pretraining data. */
    referenceSize: Schema.optionalWith(PosInt, { default: () => 1000 })
  }),
  Schema.Struct({ name: Schema.Literal("IMM"), alpha: Schema.optionalWith(Num.pipe(Schema.between(0, 1)), { default: () => 0.5 }) }),
  Schema.Struct({ name: Schema.Literal("GEM"), memoryPerClass: Schema.optionalWith(PosInt, { default: () => 10 }), margin: opt(NonNeg) }),
  Schema.Struct({ name: Schema.Literal("A-GEM"), memoryPerClass: Schema.optionalWith(PosInt, { default: () => 10 }) }),
  Schema.Struct({
    name: Schema.Literal("iCaRL"),
    memoryPerClass: Schema.optionalWith(PosInt, { default: () => 10 }),
    distillWeight: opt(NonNeg),
    temperature: opt(Num.pipe(Schema.positive()))
  }),
  Schema.Struct({ name: Schema.Literal("GeoDL"), weight: opt(NonNeg), rank: opt(PosInt), steps: opt(PosInt) }),
  Schema.Struct({ name: Schema.Literal("RKR"), rank: opt(PosInt) })
)

/** @since 0.1.0 @category models */
export type MethodParams = typeof MethodParams.Type

/**
 * What some methods need beyond their options; the teacher's features of
 * the reference images and texts and of the memory when computed once
 * (`distill`).
 *
 * @since 0.1.0
 * @category models
 */
export interface MethodResources {
  readonly vocabulary?: Vocabulary
  readonly reference?: ZsclReference
  readonly memory?: ReplayMemory
  readonly memoryTeacher?: TeacherImageFeatures
}

const defined = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && k !== "name")) as Partial<T>

const need = <T>(v: T | undefined, what: string, method: string): T => {
  if (v === undefined) throw new Error(`method ${method} needs ${what}`)
  return v
}

/**
 * Build the method a session trains with.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMethod = (p: MethodParams, r: MethodResources): Method => {
  switch (p.name) {
    case "FT":
    case "IMM":
      return ft
    case "LwF":
      return lwf(defined(p))
    case "VR-LwF": {
      const { vocabulary: _v, ...rest } = p
      return vrlwf({ ...defined(rest), ...(p.vocabulary === "pool" ? { vocabulary: need(r.vocabulary, "an embedded vocabulary", p.name) } : {}) })
    }
    case "LwF-VR (ZSCL)":
      return lwfVrZscl(defined(p))
    case "ZSCL": {
      const { referenceSize: _s, ...rest } = p
      return zscl({ ...defined(rest), reference: need(r.reference, "reference image-caption pairs", p.name) })
    }
    case "GEM":
      return gem({ memory: need(r.memory, "a replay memory", p.name), ...(p.margin === undefined ? {} : { margin: p.margin }) })
    case "A-GEM":
      return agem({ memory: need(r.memory, "a replay memory", p.name) })
    case "iCaRL": {
      const { memoryPerClass: _m, ...rest } = p
      return icarl({ ...defined(rest), memory: need(r.memory, "a replay memory", p.name), ...(r.memoryTeacher === undefined ? {} : { teacherImages: r.memoryTeacher }) })
    }
    case "GeoDL":
      return geodl(defined(p))
    case "RKR":
      return rkr(defined(p))
  }
}

/** A short label for tables: the method name and its non-default options. @since 0.1.0 @category utils */
export const methodLabel = (p: MethodParams): string => p.name

/**
 * The image sets a method's frozen teacher encodes in a session, and which
 * input model that teacher is (`model`: the session's start; `initial`: the
 * pretrained model). Training uses no augmentation and the teacher no
 * dropout, so these features are constant through the session and the
 * `distill` stage computes them once. Undefined when the method runs no
 * teacher on images in that session (FT, IMM, GEM, A-GEM, RKR; LwF, GeoDL
 * and iCaRL in the first session).
 *
 * @since 0.1.0
 * @category utils
 */
export interface TeacherImageSets {
  readonly teacher: "model" | "initial"
  /** The session's own training images. */
  readonly session?: number
  /** The replay memory the session trains with. */
  readonly memory?: { readonly session: number; readonly perClass: number }
  /** ZSCL's reference pairs (images, and their captions' text features). */
  readonly reference?: { readonly size: number }
}

/** @since 0.1.0 @category utils */
export const teacherImageSets = (p: MethodParams, session: number): TeacherImageSets | undefined => {
  switch (p.name) {
    case "VR-LwF":
    case "LwF-VR (ZSCL)":
      return { teacher: "model", session }
    // LwF and GeoDL distil from the second session on (their default `firstSession`).
    case "LwF":
    case "GeoDL":
      return session >= 1 ? { teacher: "model", session } : undefined
    case "iCaRL":
      return session >= 1 ? { teacher: "model", memory: { session, perClass: p.memoryPerClass } } : undefined
    case "ZSCL":
      return { teacher: "initial", reference: { size: p.referenceSize } }
    default:
      return undefined
  }
}
