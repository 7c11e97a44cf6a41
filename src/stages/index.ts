/**
 * The stage library: the thin seam between the engine (src/dsl,
 * src/scheduler) and the science (src/clip, src/data, src/methods,
 * src/eval). Pipelines in `pipelines/` wire these.
 *
 * What a pipeline file needs to be defined: the stage kinds, their parameter
 * schemas and the study helpers. Planning a pipeline, or re-running a cached
 * one, loads nothing more, so nothing here may load TensorFlow.js, sharp or
 * vega at import: each stage loads its science when it runs. What runs the
 * science itself (`openExperiment`, `makeMethod`, `openCoco`) is exported by
 * the package root, `clipcl`.
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
export { CocoData, CocoSourceError, ZeroShotCifar100, ZeroShotFolder, cocoInputs, cocoTemplates, missingCocoInputs, type CocoInput } from "../data/experiments/coco.js"
export { DataParams, SessionParams, openExperiment, defineDataset, dataSourceNames, type DataSource, type DatasetSpec, type Experiment, type PromptedTask } from "./experiment.js"
export { MethodParams, teacherImageSets, type TeacherImageSets } from "./methodParams.js"
export { defineMethod, decodeMethod, methodNeeds, type CustomMethod, type CustomMethodParams, type MethodNeeds, type MethodResources } from "./methodParams.js"
export { option, defaultsOf, type OptionsOf, type MethodDefinition } from "../methods/definition.js"
export { ModelParams, TrainParams, PartParams } from "./params.js"
export { study, comparedMethods, addReport, type StudyOptions, type StudyMethod, type LabelledTable } from "./study.js"
