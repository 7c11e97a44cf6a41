/**
 * Plots of evaluation results, drawn with vega (a maintained grammar-of-
 * graphics library that renders headless to SVG without a browser or a
 * canvas) and optionally rasterised to PNG with sharp.
 *
 * vega and sharp are loaded on first render (render.ts), so importing this
 * module (or the package root) costs nothing to a command that draws no plot.
 *
 * Each plot is first a pure function from data to a vega spec, one module
 * each (easy to test and to tweak: the spec is plain JSON, openable in the
 * vega editor), then {@link renderSvg} draws it:
 * - {@link heatmapSpec}: the accuracy matrix `acc[t][i]`, one annotated cell
 *   per evaluated entry;
 * - {@link sessionCurvesSpec}: target and zero-shot accuracy after each
 *   session (from the pretrained model on), one colour per method/setting,
 *   solid for target, dashed for zero-shot;
 * - {@link tradeoffSpec}: target vs. zero-shot accuracy over a sweep of one
 *   parameter (VR-LwF's alpha), a point per setting joined in order.
 * {@link resultPlots} picks the plots a set of tables supports.
 *
 * @since 0.1.0
 */
export { heatmapSpec, type HeatmapInput } from "./heatmap.js"
export { renderSvg, svgToPng, writePlots } from "./render.js"
export { resultPlots, type Plot } from "./resultPlots.js"
export { sessionCurvesSpec } from "./sessionCurves.js"
export { tradeoffSpec } from "./tradeoff.js"
