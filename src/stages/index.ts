/**
 * The stage library: the thin seam between the engine (src/dsl,
 * src/scheduler) and the science (src/clip, src/data, src/methods,
 * src/eval). Pipelines in `pipelines/` wire these.
 *
 * @since 0.1.0
 */
export { pretrain } from "./pretrain.js"
export { embedVocabulary, VocabularyParams } from "./embedVocabulary.js"
export { distill, DistillParams, TeacherInputError } from "./distill.js"
export { finetune, finetuneWithTeacher, finetuneWithVocabulary, finetuneStages, type FinetuneStages } from "./finetune.js"
export { interpolate } from "./interpolate.js"
export { evaluate } from "./evaluate.js"
export { reportOf, RowLabel } from "./report.js"
export { loadCheckpoint, checkpointFile, CheckpointFileError } from "./loadCheckpoint.js"
export { CocoData, CocoSourceError, ZeroShotCifar100, ZeroShotFolder, cocoInputs, cocoTemplates, missingCocoInputs, openCoco, type CocoInput } from "./sources/coco.js"
export { DataParams, SessionParams, openExperiment, type Experiment } from "./experiment.js"
export { MethodParams, makeMethod, teacherImageSets, type TeacherImageSets } from "./methodParams.js"
export { defineMethod, decodeMethod, methodNeeds, type CustomMethod, type CustomMethodParams, type MethodNeeds, type MethodResources } from "./methodParams.js"
export { option, defaultsOf, type OptionsOf, type MethodDefinition } from "../methods/definition.js"
export { ModelParams, TrainParams, PartParams } from "./params.js"
export { study, comparedMethods, addReport, type StudyOptions, type StudyMethod, type LabelledTable } from "./study.js"
