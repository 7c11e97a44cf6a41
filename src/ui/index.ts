/**
 * The terminal interface: three consumers of the scheduler's one event
 * stream (the ink live view, plain lines, NDJSON) and the pieces they share
 * with `clipcl plan` and `clipcl results` (status symbols, tables).
 *
 * @since 0.1.0
 */
export { makeLiveRenderer, inCi, interruptProcess, type LiveRenderer, type LiveRendererOptions } from "./live.js"
export { makePlainLines, type PlainLinesOptions } from "./plainLogger.js"
export { makePlainLogger, type PlainLoggerOptions } from "./plain.js"
export { makeNdjsonLogger } from "./ndjson.js"
export { renderFrame, renderPlan, renderTable, tableFromMarkdown, tableFromRecords, type RenderOptions } from "./render.js"
export {
  countStatuses,
  displayStatus,
  focusedStage,
  groupStages,
  initialState,
  overall,
  reduce,
  replay,
  stageEta,
  stageRate,
  type GroupView,
  type Overall,
  type StageView,
  type SummaryView,
  type TableData,
  type UiAction,
  type UiState
} from "./state.js"
export { makeStore, type UiStore } from "./store.js"
export { LiveApp, type LiveAppProps } from "./App.js"
export { Bar, Counts, StatusIcon } from "./components/primitives.js"
export { StageLine } from "./components/stages.js"
export { Table } from "./components/table.js"
export { LiveView, LogPane, SummaryLine } from "./components/views.js"
export { layoutRows, type Row } from "./layout.js"
export { bar, clock, shortDuration, statusStyle, stripAnsi, type DisplayStatus } from "./format.js"
