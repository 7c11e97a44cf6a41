/**
 * The built-in methods as registry entries: options, needs and a `make`
 * that loads the implementation when a session runs (literal dynamic
 * imports, so that the fine-tuning stages' fingerprints follow them).
 *
 * Tensor-free.
 *
 * @since 0.1.0
 */
import { defaultsOf, defined, method, need } from "./definition.js"
import {
  AgemOptions,
  FtOptions,
  GemOptions,
  GeodlOptions,
  IcarlOptions,
  ImmOptions,
  LwfOptions,
  LwfVrZsclOptions,
  RkrOptions,
  VrlwfOptions,
  ZsclOptions
} from "./options.js"

const sessionTeacher = { teacher: { model: "model", images: ["session"] } } as const

/** @since 0.1.0 @category methods */
export const FT = method({
  name: "FT",
  options: FtOptions,
  make: async () => (await import("./method.js")).ft
})

/** @since 0.1.0 @category methods */
export const LwF = method({
  name: "LwF",
  options: LwfOptions,
  needs: (o, session) => (session >= (o.firstSession ?? defaultsOf(LwfOptions).firstSession) ? sessionTeacher : {}),
  make: async (o) => (await import("./lwf.js")).lwf(defined(o))
})

/** @since 0.1.0 @category methods */
export const VRLwF = method({
  name: "VR-LwF",
  options: VrlwfOptions,
  needs: (o) => ({ ...sessionTeacher, ...(o.vocabulary === "pool" ? { vocabulary: true } : {}) }),
  make: async (o, r) => {
    const { vocabulary, ...rest } = o
    return (await import("./vrlwf.js")).vrlwf({
      ...defined(rest),
      ...(vocabulary === "pool" ? { vocabulary: need(r.vocabulary, "an embedded vocabulary", "VR-LwF") } : {})
    })
  }
})

/** @since 0.1.0 @category methods */
export const LwFVRZSCL = method({
  name: "LwF-VR (ZSCL)",
  options: LwfVrZsclOptions,
  needs: () => sessionTeacher,
  make: async (o) => (await import("./lwfvrZscl.js")).lwfVrZscl(defined(o))
})

/** @since 0.1.0 @category methods */
export const ZSCL = method({
  name: "ZSCL",
  options: ZsclOptions,
  needs: (o) => ({ reference: { size: o.referenceSize }, initial: true, teacher: { model: "initial", images: ["reference"] } }),
  make: async (o, r) => {
    const { referenceSize: _s, ...rest } = o
    return (await import("./zscl.js")).zscl({ ...defined(rest), reference: need(r.reference, "reference image-caption pairs", "ZSCL") })
  }
})

/** @since 0.1.0 @category methods */
export const IMM = method({
  name: "IMM",
  options: ImmOptions,
  make: async (o) => (await import("./imm.js")).immMethod(o.alpha)
})

/** @since 0.1.0 @category methods */
export const GEM = method({
  name: "GEM",
  options: GemOptions,
  // Nothing to replay in the first session: it trains as plain fine-tuning.
  from: 1,
  needs: (o) => ({ memory: { perClass: o.memoryPerClass } }),
  make: async (o, r) =>
    (await import("./gem.js")).gem({ memory: need(r.memory, "a replay memory", "GEM"), ...(o.margin === undefined ? {} : { margin: o.margin }) })
})

/** @since 0.1.0 @category methods */
export const AGEM = method({
  name: "A-GEM",
  options: AgemOptions,
  from: 1,
  needs: (o) => ({ memory: { perClass: o.memoryPerClass } }),
  make: async (_o, r) => (await import("./agem.js")).agem({ memory: need(r.memory, "a replay memory", "A-GEM") })
})

/** @since 0.1.0 @category methods */
export const ICaRL = method({
  name: "iCaRL",
  options: IcarlOptions,
  from: 1,
  needs: (o) => ({ memory: { perClass: o.memoryPerClass }, teacher: { model: "model", images: ["memory"] } }),
  make: async (o, r) => {
    const { memoryPerClass: _m, ...rest } = o
    return (await import("./icarl.js")).icarl({
      ...defined(rest),
      memory: need(r.memory, "a replay memory", "iCaRL"),
      ...(r.memoryTeacher === undefined ? {} : { teacherImages: r.memoryTeacher })
    })
  }
})

/** @since 0.1.0 @category methods */
export const GeoDL = method({
  name: "GeoDL",
  options: GeodlOptions,
  needs: (o, session) => (session >= (o.firstSession ?? defaultsOf(GeodlOptions).firstSession) ? sessionTeacher : {}),
  make: async (o) => (await import("./geodl.js")).geodl(defined(o))
})

/** @since 0.1.0 @category methods */
export const RKR = method({
  name: "RKR",
  options: RkrOptions,
  make: async (o) => (await import("./rkr.js")).rkr(defined(o))
})

/**
 * Every built-in method, in the order the docs list them.
 *
 * @since 0.1.0
 * @category methods
 */
export const builtinMethods = [FT, LwF, VRLwF, LwFVRZSCL, ZSCL, IMM, GEM, AGEM, ICaRL, GeoDL, RKR] as const
