/**
 * Metrics, result tables and plots: everything an experiment reports.
 *
 * Pure functions over small arrays or tfjs tensors; nothing here imports the
 * engine (scheduler, cache, DSL), so every metric is testable on a hand-
 * computed matrix. Synchronous metrics throw tagged errors (wrap with
 * `Effect.try` in a stage); rendering and decoding return Effects.
 *
 * @since 0.1.0
 */
export { classificationAccuracy, topKAccuracy, type AccuracyOptions, type AccuracyResult, type TieRule } from "./accuracy.js"
export {
  averageAccuracy,
  backwardTransfer,
  continualSummary,
  forgetting,
  forwardTransfer,
  lastAccuracy,
  mtilAvg,
  mtilLast,
  targetZeroShotSummary,
  transfer,
  type AccuracyMatrix,
  type ContinualSummary,
  type TargetZeroShotSummary,
} from "./continual.js"
export { EvalTableError, MetricInputError, PlotError, type EvalError } from "./EvalError.js"
export {
  accuracyMetrics,
  decodeEvalTable,
  decodeEvalTableSync,
  EvalRecord,
  EvalRole,
  evalRecords,
  MetricName,
  retrievalMetrics,
  type EvalContext,
  type EvalTable,
  type EvalTask,
} from "./EvalTable.js"
export { formatResults, resultFormats, type ResultFormat } from "./format.js"
export { settingLabel } from "../formats/settingLabel.js"
export {
  heatmapSpec,
  renderSvg,
  resultPlots,
  sessionCurvesSpec,
  svgToPng,
  tradeoffSpec,
  writePlots,
  type HeatmapInput,
  type Plot,
} from "./plots/index.js"
export { evalReport, evalReportFromRuns, isEvalTable, type Report, type ReportOptions, type TableRun, type TableSource } from "./report.js"
export {
  accuracyMatrices,
  resultRows,
  resultRowsSync,
  sessionPoints,
  settingKey,
  type ResultOptions,
  type ResultRow,
  type SessionPoint,
} from "./results.js"
export {
  RetrievalProtocol,
  retrievalRecall,
  retrievalRecallFromFeatures,
  type FeatureRetrievalInput,
  type RetrievalOptions,
  type RetrievalResult,
} from "./retrieval.js"
export { DEFAULT_CHUNK_ROWS, type DenseMatrix, type ScoreMatrix } from "./ScoreMatrix.js"
export { classesSeen, zeroShotAccuracy, type CandidateClasses, type ZeroShotInput, type ZeroShotResult } from "./zeroShot.js"
