import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"
import { Either, ParseResult, Schema } from "effect"
import { pipeline } from "../../../src/dsl/index.js"
import { cacheKey, resolve } from "../../../src/scheduler/index.js"
import { FashionMnistData } from "../../../src/data/experiments/fashionMnist.js"
import { SyntheticData } from "../../../src/data/experiments/synthetic.js"
import {
  DataParams, DatasetDefinitionError, type DatasetSpec, dataSourceNames, defineDataset, openExperiment, UnknownDataSource
} from "../../../src/data/experiments/registry.js"
import type { Experiment } from "../../../src/data/experiments/experiment.js"
import { evaluate } from "../../../src/stages/evaluate.js"
import { checkpointFile, loadCheckpoint } from "../../../src/stages/loadCheckpoint.js"

const decode = (u: unknown) => Schema.decodeUnknownEither(DataParams)(u, { errors: "all", onExcessProperty: "error" })
const message = (u: unknown): string => {
  const r = decode(u)
  if (Either.isRight(r)) assert.fail(`decoded ${JSON.stringify(u)}`)
  return ParseResult.TreeFormatter.formatErrorSync(r.left)
}
const roundTrip = (u: unknown) => Schema.encodeSync(DataParams)(Schema.decodeUnknownSync(DataParams)(u))

test("built-in sources decode and encode through the registry exactly as the closed union of their schemas did", () => {
  assert.deepEqual(dataSourceNames().slice(0, 3), ["synthetic", "fashion-mnist", "coco"])
  // Today's parameters of the quickstart's data, defaults filled in: these are in every cache key.
  assert.deepEqual(roundTrip({ source: "synthetic", seed: 0, pretrainSize: 6000, pretrainCaptions: 2 }), {
    source: "synthetic", seed: 0, imageSize: 32, pretrainSize: 6000, pretrainCaptions: 2, retrievalSize: 500, retrievalCaptions: 5,
    targetTrainPerClass: 150, targetTestPerClass: 50, zeroShotSize: 600, zeroShotTasks: ["colour"]
  })
  const union = Schema.Union(SyntheticData, FashionMnistData)
  for (const u of [
    { source: "synthetic" },
    { source: "synthetic", seed: 3, zeroShotTasks: ["shape", "size+colour"] },
    { source: "fashion-mnist" },
    { source: "fashion-mnist", dir: "/x", pretrainClasses: [3, 1], pretrainPerClass: 7 }
  ]) {
    assert.deepEqual(roundTrip(u), Schema.encodeSync(union)(Schema.decodeUnknownSync(union)(u)), JSON.stringify(u))
  }
})

test("an unknown or missing source, or a bad field of a known one, is refused naming what is wrong", () => {
  const unknown = message({ source: "synthtic", seed: 1 })
  assert.match(unknown, /\["source"\]/)
  assert.match(unknown, /unknown data source "synthtic" \(known: synthetic, fashion-mnist, coco/)
  assert.match(message({ seed: 1 }), /need a "source"/)
  assert.match(message([1]), /need a "source"/)
  const field = message({ source: "synthetic", seed: "one" })
  assert.match(field, /\["seed"\]/)
  assert.match(message({ source: "synthetic", sed: 1 }), /\["sed"\]/)
  // The same through a stage's parameters: the path leads to the field.
  const stage = Schema.decodeUnknownEither(evaluate.params)({ data: { source: "fashion-mnist", pretrainClasses: [12] }, session: -1 })
  assert.ok(Either.isLeft(stage))
  assert.match(ParseResult.TreeFormatter.formatErrorSync(stage.left), /\["data"\][\s\S]*\["pretrainClasses"\]/)
})

const tinyExperiment = async (name: string): Promise<Experiment> => {
  const { labeledImages } = await import("../../../src/data/ImageSet.js")
  const set = labeledImages({ name, height: 2, width: 2, channels: 1, size: 2, classNames: ["a", "b"], labels: Int32Array.of(0, 1), readInto: async () => {} })
  return { name, pretrain: undefined, target: { name, classNames: set.classNames, templates: ["{}"], train: set, test: set }, zeroShot: [], retrieval: [] }
}

test("defineDataset registers a source whose decoded parameters carry its code fingerprint", async () => {
  const seen: Array<unknown> = []
  defineDataset({
    name: "test-folder",
    params: Schema.Struct({ dir: Schema.String, size: Schema.optionalWith(Schema.Int, { default: () => 8 }) }),
    open: async (p) => {
      seen.push(p)
      return tinyExperiment(`folder ${p.dir}`)
    }
  })
  assert.ok(dataSourceNames().includes("test-folder"))
  const p = Schema.decodeUnknownSync(DataParams)({ source: "test-folder", dir: "d" }) as Record<string, unknown>
  assert.equal(p["size"], 8)
  assert.match(String(p["code"]), /^[0-9a-f]{64}$/)
  // Whatever a caller writes into `code` is replaced.
  assert.deepEqual(Schema.decodeUnknownSync(DataParams)({ source: "test-folder", dir: "d", code: "mine" }), p)
  assert.deepEqual(Schema.encodeSync(DataParams)(p as never), { source: "test-folder", dir: "d", size: 8, code: p["code"] })
  assert.match(message({ source: "test-folder" }), /\["dir"\]/)
  const exp = await openExperiment(p as never)
  assert.equal(exp.name, "folder d")
  assert.deepEqual(seen, [p])
  // Opened once per process for the same parameters.
  assert.equal(await openExperiment(p as never), exp)
  assert.equal(seen.length, 1)
})

test("a data set's code fingerprint follows the text of open and the contents of its hashIncludes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-dataset-code-"))
  const helper = path.join(dir, "helper.ts")
  fs.writeFileSync(helper, "export const x = 1\n")
  const codeOf = (open: (p: any) => Promise<Experiment>) => {
    defineDataset({ name: "test-code", params: Schema.Struct({}), open, hashIncludes: [helper] })
    return (Schema.decodeUnknownSync(DataParams)({ source: "test-code" }) as Record<string, unknown>)["code"]
  }
  const a = codeOf(async () => tinyExperiment("a"))
  assert.equal(codeOf(async () => tinyExperiment("a")), a)
  const b = codeOf(async () => tinyExperiment("b"))
  assert.notEqual(b, a)
  fs.writeFileSync(helper, "export const x = 2\n")
  assert.notEqual(codeOf(async () => tinyExperiment("a")), a)
  assert.throws(() => defineDataset({ name: "test-missing", params: Schema.Struct({}), open: async () => tinyExperiment("m"), hashIncludes: [path.join(dir, "nope.ts")] }),
    (e: unknown) => e instanceof DatasetDefinitionError && e.message.includes("nope.ts"))
})

test("defineDataset refuses a built-in name, a bad name and the fields the registry sets", () => {
  const open = async () => tinyExperiment("x")
  const refused = (spec: DatasetSpec<any>, pattern: RegExp) =>
    assert.throws(() => defineDataset(spec), (e: unknown) => e instanceof DatasetDefinitionError && pattern.test(e.message))
  refused({ name: "coco", params: Schema.Struct({}), open }, /"coco": is a built-in data source/)
  refused({ name: "has space", params: Schema.Struct({}), open }, /letters, digits/)
  refused({ name: "test-x", params: Schema.Struct({ source: Schema.String }), open }, /may not declare "source"/)
  refused({ name: "test-x", params: Schema.Struct({ code: Schema.String }), open }, /may not declare "code"/)
})

test("opening an unregistered source fails with UnknownDataSource", async () => {
  await assert.rejects(openExperiment({ source: "never-defined" }), (e: unknown) => e instanceof UnknownDataSource && /never-defined/.test(e.message))
})

test("editing a data set's code changes the keys of the stages that read it, and only those", () => {
  const weights = fileURLToPath(new URL("../../fixtures/clip-tiny/model.safetensors", import.meta.url))
  const keys = (open: (p: any) => Promise<Experiment>) => {
    defineDataset({ name: "test-keyed", params: Schema.Struct({}), open })
    const p = pipeline("dataset-key", (b) => {
      const model = b.add(loadCheckpoint, { name: "weights", params: checkpointFile(weights) })
      b.add(evaluate, { name: "mine", params: { data: { source: "test-keyed" }, session: -1 }, inputs: { model } })
      b.add(evaluate, { name: "builtin", params: { data: { source: "synthetic" }, session: -1 }, inputs: { model } })
    })
    const dag = resolve(p, "dataset-key.ts")
    if (Either.isLeft(dag)) assert.fail(dag.left.message)
    const keyOf = (name: string) => cacheKey({ ...dag.right.nodes[dag.right.byName.get(name)!]!.static, inputs: {} })
    return { weights: keyOf("weights"), mine: keyOf("mine"), builtin: keyOf("builtin") }
  }
  const before = keys(async () => tinyExperiment("one"))
  assert.deepEqual(keys(async () => tinyExperiment("one")), before)
  const after = keys(async () => tinyExperiment("two"))
  assert.notEqual(after.mine, before.mine)
  assert.equal(after.builtin, before.builtin)
  assert.equal(after.weights, before.weights)
})
