/**
 * clipcl's library surface. The core API (`tf`, `tokenize`, `encodeText`,
 * `decodeTokens`, `loadClip`, ...), the pipeline DSL and `study` are exported
 * by name; each area is also
 * available as a namespace (`Clip`, `Data`, `Methods`, `Eval`, `Stages`,
 * `Dsl`, `Scheduler`, `Backend`) so generic names such as `transfer` or
 * `forgetting` do not collide.
 *
 * Pipeline files import `clipcl/dsl` (the DSL alone) and `clipcl/stages`
 * (see the README, "Using clipcl from your own project").
 *
 * @since 0.1.0
 */
export { tf } from "./backend/tf.js"
export { initBackend, describeBackend } from "./backend/index.js"
export { tokenize, encodeText, decodeTokens, loadTokenizer } from "./clip/tokenizer.js"
export {
  loadClip,
  createClip,
  clipFromSafetensors,
  customConfig,
  namedConfigs,
  ViT_B_32,
  ViT_B_16,
  ViT_L_14,
  ViT_L_14_336,
  zeroShotClassifier,
  preprocessImage,
  preprocessPixels,
  type ClipModel,
  type ClipConfig,
  type TunePart
} from "./clip/index.js"
export {
  stage,
  pipeline,
  value,
  tensors,
  checkpoint,
  table,
  moduleSources,
  type Handle,
  type PipelineBuilder,
  type CheckpointHandle,
  type TableHandle,
  type TensorsHandle,
  type ValueHandle
} from "./dsl/index.js"
export { study, addReport, comparedMethods, type StudyOptions, type StudyMethod, type LabelledTable } from "./stages/index.js"
// What runs the science: not in `clipcl/stages`, which a pipeline imports to be planned without it.
export { makeMethod } from "./stages/methodParams.js"
export { defineDataset, openExperiment, type DatasetSpec, type DataSource, type Experiment } from "./stages/index.js"
export { defineMethod, option, type CustomMethod, type MethodDefinition } from "./stages/index.js"

export * as Backend from "./backend/index.js"
export * as Clip from "./clip/index.js"
export * as Data from "./data/index.js"
export * as Methods from "./methods/index.js"
export * as Eval from "./eval/index.js"
export * as Stages from "./stages/index.js"
export * as Dsl from "./dsl/index.js"
export * as Scheduler from "./scheduler/index.js"
