/**
 * The continual-learning method a `finetune` session uses, as validated
 * parameters, and its construction from them. One entry per method in
 * `src/methods`; each option left out takes that method's default.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { agem } from "../methods/agem.js"
import type { ImageSource } from "../methods/data.js"
import { geodl } from "../methods/geodl.js"
import { gem } from "../methods/gem.js"
import { icarl } from "../methods/icarl.js"
import { lwf } from "../methods/lwf.js"
import { lwfVrZscl } from "../methods/lwfvrZscl.js"
import { ft, type Method } from "../methods/method.js"
import type { ReplayMemory } from "../methods/replay.js"
import { rkr } from "../methods/rkr.js"
import { vrlwf, type Vocabulary } from "../methods/vrlwf.js"
import { zscl } from "../methods/zscl.js"

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

/** What some methods need beyond their options. @since 0.1.0 @category models */
export interface MethodResources {
  readonly vocabulary?: Vocabulary
  readonly reference?: { readonly images: ImageSource; readonly texts: ReadonlyArray<ReadonlyArray<number>> }
  readonly memory?: ReplayMemory
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
      return icarl({ ...defined(rest), memory: need(r.memory, "a replay memory", p.name) })
    }
    case "GeoDL":
      return geodl(defined(p))
    case "RKR":
      return rkr(defined(p))
  }
}

/** A short label for tables: the method name and its non-default options. @since 0.1.0 @category utils */
export const methodLabel = (p: MethodParams): string => p.name
