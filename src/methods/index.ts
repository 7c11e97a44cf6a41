/**
 * Continual-learning methods for CLIP: losses, the training loop, and the
 * per-session methods the paper and ZSCL compare (FT, LwF, VR-LwF, LwF-VR as
 * ZSCL ran it, ZSCL, WiSE-FT, IMM, GEM, A-GEM, iCaRL, GeoDL, RKR). Plain
 * functions over tensors and models; the DSL stages call these.
 *
 * @since 0.1.0
 */
export * from "./errors.js"
export type { MethodModel, TunePart } from "./model.js"
export { makeRng, type Rng } from "../random.js"
export { l2Normalize, similarityLogits } from "./similarity.js"
export { crossEntropy } from "./crossEntropy.js"
export { contrastiveLoss, clampLogitScale, MAX_LOGIT_SCALE } from "./contrastive.js"
export { klDivergence, softCrossEntropy, bidirectionalDistillation } from "./distill.js"
export { imagesFromTensor, type ImageSource, type PairedData, type SessionData } from "./data.js"
export { makeAdam, type Adam, type AdamOptions } from "./adam.js"
export {
  train,
  clipByGlobalNorm,
  learningRateAt,
  paperDefaults,
  plateaued,
  smallPretrainDefaults,
  smallFinetuneDefaults,
  type TrainOptions,
  type TrainHooks,
  type TrainSpec,
  type TrainResult,
  type Progress,
  type StepLoss,
} from "./train.js"
export { ft, type Method, type SessionMethod, type SessionSetup, type StepInput, type ExtraLoss } from "./method.js"
export { finetune, trainsText, type FinetuneOptions, type FinetuneModels } from "./finetune.js"
export { pretrain } from "./pretrain.js"
export { promptAccuracy } from "./validation.js"
export {
  drawPseudoClasses,
  wordVocabulary,
  promptClassNames,
  embedVocabulary,
  sampleIndices,
  START_TOKEN,
  END_TOKEN,
  PSEUDO_TOKEN_LIMIT,
  type PseudoClassOptions,
} from "./vocabulary.js"
export { embedImages, teacherImages, type TeacherImageFeatures, type TeacherImages } from "./teacher.js"
export { lwf, lwfLoss, lwfDefaults, classTeacher, type LwfOptions, type ClassTeacher } from "./lwf.js"
export { vrlwf, vrLoss, vrlwfTotal, vrlwfDefaults, type VrlwfOptions, type Vocabulary } from "./vrlwf.js"
export { lwfVrZscl, lwfVrZsclLoss, lwfVrZsclDefaults, type LwfVrZsclOptions } from "./lwfvrZscl.js"
export { zscl, makeWeightAverager, type ZsclOptions, type ZsclReference, type WeightAverager } from "./zscl.js"
export { interpolateWeights, disposeWeights, type Weights } from "./weights.js"
export { wiseft } from "./wiseft.js"
export { imm, immMethod } from "./imm.js"
export {
  method,
  option,
  defaultsOf,
  defined,
  needsAt,
  type MethodDefinition,
  type MethodEntry,
  type MethodNeeds,
  type MethodResources,
  type OptionsOf,
} from "./definition.js"
export * as MethodOptions from "./options.js"
export { builtinMethods } from "./builtin.js"
export { lookupMethod, methodNamed, methodNames, registerMethod, type Registered } from "./registry.js"
export { subsetSource, concatSources, memoryLoss, type ReplayMemory } from "./replay.js"
export { agem, agemProject, type AgemOptions } from "./agem.js"
export { gem, gemProject, solveGemDual, type GemOptions } from "./gem.js"
export { icarl, herding, selectExemplars, classMeans, nearestMeanClassify, type IcarlOptions } from "./icarl.js"
export { geodl, geodlLoss, geodesicFlowKernel, type GeodlOptions } from "./geodl.js"
export { rkr, rectify, rectified, type RkrOptions } from "./rkr.js"
