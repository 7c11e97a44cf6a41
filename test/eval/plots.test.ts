import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Either } from "effect"
import sharp from "sharp"
import { evalRecords, type EvalTable } from "../../src/eval/EvalTable.js"
import { heatmapSpec, renderSvg, resultPlots, sessionCurvesSpec, tradeoffSpec, writePlots } from "../../src/eval/plots/index.js"
import { resultRowsSync, sessionPoints } from "../../src/eval/results.js"

const svgOf = (spec: Parameters<typeof renderSvg>[0]) => Effect.runPromise(renderSvg(spec))

/** The children of the mark group named `name` (vega writes one <g> per mark). */
const markGroup = (svg: string, role: string, name: string): string => {
  const m = new RegExp(`class="mark-${role} role-mark ${name}"[^>]*>(.*?)</g>`, "s").exec(svg)
  assert.ok(m, `no ${role} mark named ${name}`)
  return m[1]
}
const count = (s: string, needle: string) => s.split(needle).length - 1

/** Valid SVG: librsvg (through sharp) parses it to an image of positive size. */
const assertValidSvg = async (svg: string) => {
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  assert.ok(svg.trimEnd().endsWith("</svg>"))
  const meta = await sharp(Buffer.from(svg)).metadata()
  assert.equal(meta.format, "svg")
  assert.ok((meta.width ?? 0) > 100 && (meta.height ?? 0) > 100)
}

const table: EvalTable = [
  ...[-1, 0, 1, 2].flatMap((t) =>
    [0, 1, 2].flatMap((i) =>
      evalRecords({ method: "ft", session: t }, { task: `s${i}`, role: "session", taskIndex: i }, { top1: t >= i ? 0.9 - 0.1 * (t - i) : 0.2 }),
    ),
  ),
  ...[-1, 0, 1, 2].flatMap((t) => evalRecords({ method: "ft", session: t }, { task: "cifar", role: "zeroshot" }, { top1: 0.6 - 0.1 * (t + 1) })),
  ...[0.5, 1, 2].flatMap((alpha) => [
    ...evalRecords({ method: "vr-lwf", setting: { alpha }, session: 0 }, { task: "coco", role: "target" }, { top1: 0.6 + alpha / 10 }),
    ...evalRecords({ method: "vr-lwf", setting: { alpha }, session: 0 }, { task: "cifar", role: "zeroshot" }, { top1: 0.5 + alpha / 20 }),
  ]),
  ...evalRecords({ method: "pretrained", session: -1 }, { task: "coco", role: "target" }, { top1: 0.4 }),
  ...evalRecords({ method: "pretrained", session: -1 }, { task: "cifar", role: "zeroshot" }, { top1: 0.6 }),
]

describe("plots", () => {
  it("heat map: one annotated cell per evaluated entry, blanks for null", async () => {
    const svg = await svgOf(
      heatmapSpec({
        title: "Accuracy matrix: ft",
        tasks: ["cats", "dogs", "birds"],
        acc: [
          [0.9, null, null],
          [0.7, 0.8, null],
          [0.5, 0.6, 0.75],
        ],
        pretrained: [0.2, 0.3, 0.4],
      }),
    )
    await assertValidSvg(svg)
    assert.equal(count(markGroup(svg, "rect", "cell-rects"), "<path"), 6 + 3)
    const values = markGroup(svg, "text", "cell-values")
    for (const v of ["90.0", "70.0", "75.0", "20.0"]) assert.ok(values.includes(`>${v}</text>`), v)
    assert.ok(svg.includes("X-axis titled 'Task i'"))
    assert.ok(svg.includes("Y-axis titled 'After session t' for a discrete scale with 4 values: pre, 0, 1, 2"))
    assert.ok(svg.includes("0: cats") && svg.includes("2: birds"))
    assert.ok(svg.includes("Gradient legend titled 'Accuracy'"))
  })

  it("session curves: one line per method and accuracy kind", async () => {
    const points = sessionPoints(table)
    const svg = await svgOf(sessionCurvesSpec(points))
    await assertValidSvg(svg)
    // ft: target + zero-shot; each vr-lwf setting and pretrained: target + zero-shot (one point each).
    assert.equal(count(svg, 'role-mark curve"'), 2 * 5)
    // ft has no target figure before session 0 (no target task, nothing learned yet): 7 points.
    assert.equal(count(markGroup(svg, "symbol", "dots"), "<path"), 7 + 2 * 3 + 2)
    assert.ok(svg.includes("X-axis titled 'After session' for a discrete scale with 4 values: pre, 0, 1, 2"))
    assert.ok(svg.includes("Y-axis titled 'Accuracy'"))
    assert.ok(svg.includes(">vr-lwf alpha=0.5</text>"))
    assert.ok(svg.includes(">zero-shot</text>"))
  })

  it("alpha trade-off: a labelled point per setting and the pretrained reference", async () => {
    const rows = resultRowsSync(table)
    const svg = await svgOf(tradeoffSpec(rows.filter((r) => r.method !== "ft")))
    await assertValidSvg(svg)
    assert.equal(count(markGroup(svg, "symbol", "settings"), "<path"), 3)
    assert.equal(count(markGroup(svg, "symbol", "references"), "<path"), 1)
    for (const l of ["alpha=0.5", "alpha=1", "alpha=2"]) assert.ok(svg.includes(`>${l}</text>`), l)
    assert.ok(svg.includes(">pretrained</text>"))
    assert.ok(svg.includes("X-axis titled 'Zero-shot accuracy (ZS-Acc)'"))
    assert.ok(svg.includes("Y-axis titled 'Target accuracy (UT-Acc)'"))
  })

  it("two methods swept over alpha: a plot of both curves with the other rows as references", async () => {
    const wise = [0.25, 0.75].flatMap((alpha) => [
      ...evalRecords({ method: "wise-ft", setting: { alpha }, session: 0 }, { task: "coco", role: "target" }, { top1: 0.5 + alpha / 5 }),
      ...evalRecords({ method: "wise-ft", setting: { alpha }, session: 0 }, { task: "cifar", role: "zeroshot" }, { top1: 0.6 - alpha / 5 }),
    ])
    const plots = resultPlots([...table, ...wise])
    assert.deepEqual(plots.filter((p) => p.name.startsWith("tradeoff")).map((p) => p.name), ["tradeoff-vr-lwf-alpha", "tradeoff-wise-ft-alpha", "tradeoff-alpha"])
    const svg = await svgOf(plots.find((p) => p.name === "tradeoff-alpha")!.spec)
    await assertValidSvg(svg)
    assert.equal(count(markGroup(svg, "symbol", "settings"), "<path"), 3 + 2)
    assert.ok(svg.includes(">vr-lwf</text>") && svg.includes(">wise-ft</text>"))
    assert.ok(svg.includes(">pretrained</text>"))
  })

  it("resultPlots picks the plots the tables support and writePlots writes SVG and PNG", async () => {
    const plots = resultPlots(table)
    assert.deepEqual(plots.map((p) => p.name), ["heatmap-ft", "session-curves", "tradeoff-vr-lwf-alpha"])
    const dir = await mkdtemp(join(tmpdir(), "clipcl-eval-plots-"))
    try {
      const files = await Effect.runPromise(writePlots(join(dir, "plots"), plots.slice(0, 1), { png: true }))
      assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ["plots/heatmap-ft.svg", "plots/heatmap-ft.png"])
      const png = await readFile(files[1])
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47])
      const meta = await sharp(png).metadata()
      const svgMeta = await sharp(await readFile(files[0])).metadata()
      assert.equal(meta.width, svgMeta.width! * 2) // density 144 = 2x
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it("a broken spec is a PlotError naming the plot", async () => {
    const r = await Effect.runPromise(Effect.either(renderSvg({ marks: [{ type: "rect", from: { data: "missing" } }] }, "broken")))
    assert.ok(Either.isLeft(r))
    assert.equal(r.left._tag, "PlotError")
    assert.equal(r.left.plot, "broken")
    assert.match(r.left.message, /^plot broken: invalid vega spec/)
  })
})
