/**
 * Rendering of plot specs: vega draws a spec headless to SVG (no browser,
 * no canvas) and sharp rasterises it to PNG. Both are loaded on first
 * render, so a command that draws no plot never loads them.
 *
 * @since 0.1.0
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import type * as vega from "vega"
import { PlotError } from "../EvalError.js"
import type { Plot } from "./resultPlots.js"

/**
 * Renders a spec to an SVG document (headless: no browser, no canvas).
 *
 * @since 0.1.0
 * @category utils
 */
export const renderSvg = (spec: vega.Spec, plot = "plot"): Effect.Effect<string, PlotError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const v = await import("vega")
        return new v.View(v.parse(spec), { renderer: "none", logLevel: v.Error })
      },
      catch: (cause) => new PlotError({ plot, reason: `invalid vega spec: ${String(cause)}`, cause }),
    }),
    (view) => Effect.tryPromise({ try: () => view.toSVG(), catch: (cause) => new PlotError({ plot, reason: `rendering failed: ${String(cause)}`, cause }) }),
    (view) => Effect.sync(() => view.finalize()),
  )

/**
 * Rasterises an SVG document to PNG with sharp (librsvg); `density` 144 is
 * twice the SVG's pixel size.
 *
 * @since 0.1.0
 * @category utils
 */
export const svgToPng = (svg: string, density = 144, plot = "plot"): Effect.Effect<Uint8Array, PlotError> =>
  Effect.tryPromise({
    try: async () => {
      const { default: sharp } = await import("sharp")
      return sharp(Buffer.from(svg), { density }).flatten({ background: "#ffffff" }).png().toBuffer()
    },
    catch: (cause) => new PlotError({ plot, reason: `PNG rasterisation failed: ${String(cause)}`, cause }),
  })

/**
 * Renders plots into `dir` as `NAME.svg` (and `NAME.png` with `png`), and
 * returns the paths written.
 *
 * @since 0.1.0
 * @category utils
 */
export const writePlots = (
  dir: string,
  plots: ReadonlyArray<Plot>,
  options: { readonly png?: boolean } = {},
): Effect.Effect<ReadonlyArray<string>, PlotError> =>
  Effect.gen(function* () {
    yield* Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true }),
      catch: (cause) => new PlotError({ plot: dir, reason: `cannot create the plot directory`, cause }),
    })
    const written: string[] = []
    for (const p of plots) {
      const svg = yield* renderSvg(p.spec, p.name)
      const svgPath = join(dir, `${p.name}.svg`)
      yield* Effect.tryPromise({ try: () => writeFile(svgPath, svg), catch: (cause) => new PlotError({ plot: svgPath, reason: "cannot write", cause }) })
      written.push(svgPath)
      if (options.png) {
        const png = yield* svgToPng(svg, 144, p.name)
        const pngPath = join(dir, `${p.name}.png`)
        yield* Effect.tryPromise({ try: () => writeFile(pngPath, png), catch: (cause) => new PlotError({ plot: pngPath, reason: "cannot write", cause }) })
        written.push(pngPath)
      }
    }
    return written
  })
