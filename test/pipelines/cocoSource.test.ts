import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { before, test } from "node:test"
import { fileURLToPath } from "node:url"
import { Either, ParseResult, Schema } from "effect"
import { pipeline } from "../../src/dsl/index.js"
import { cacheKey, resolve } from "../../src/scheduler/index.js"
import { evaluate } from "../../src/stages/evaluate.js"
import { DataParams, openExperiment } from "../../src/stages/experiment.js"
import { checkpointFile, loadCheckpoint } from "../../src/stages/loadCheckpoint.js"
import { CocoSourceError, missingCocoInputs } from "../../src/data/experiments/coco.js"
import { fixtureCategories, writeCocoFixture } from "./cocoFixture.js"

let fx: Awaited<ReturnType<typeof writeCocoFixture>>
let root: string

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-coco-source-"))
  fx = await writeCocoFixture(root)
})

const params = (over: Record<string, unknown> = {}) => ({
  source: "coco",
  cocoDir: fx.coco,
  flickrDir: fx.flickr,
  zeroShot: [{ kind: "cifar100", dir: fx.cifar }, { kind: "folder", dir: fx.zeroShot, prompts: "STL10" }],
  imageSize: 16,
  ...over
})

const decode = (u: unknown) => Schema.decodeUnknownEither(DataParams)(u, { errors: "all", onExcessProperty: "error" })

const decodeOk = (u: unknown) => {
  const r = decode(u)
  if (Either.isLeft(r)) assert.fail(ParseResult.TreeFormatter.formatErrorSync(r.left))
  return r.right
}

test("coco source: crops, zero-shot tasks, retrieval folds per data set and reference pairs from the real formats", async () => {
  const p = decodeOk(params({ retrievalFoldSize: 2, targetTrainPerClass: 3 }))
  const exp = await openExperiment(p)
  // Categories in COCO id order with COCO's names.
  assert.deepEqual(exp.target.classNames, fixtureCategories.map((c) => c.name))
  assert.deepEqual(exp.target.templates, ["a photo of a {}."])
  // Train: per category 2 images where it is the first box (box + crowd box) and 2 where it is
  // the second (the 3 px box is dropped): 6 crops, capped at 3; test (val2014): 3 each, uncapped.
  const count = (labels: Int32Array) => fixtureCategories.map((_, c) => labels.filter((l) => l === c).length)
  assert.deepEqual(count(exp.target.train.labels), [3, 3, 3, 3])
  assert.deepEqual(count(exp.target.test.labels), [3, 3, 3, 3])
  assert.equal(exp.target.train.height, 16)
  // A crop of a red "person" box is red.
  const i = Array.from(exp.target.test.labels).indexOf(0)
  const px = await exp.target.test.read(Int32Array.of(i))
  const centre = (8 * 16 + 8) * 3
  assert.ok(px[centre]! > 180 && px[centre + 1]! < 90, `person crop centre is ${px.subarray(centre, centre + 3).join(",")}`)
  // Zero-shot: CIFAR-100 with prompts.json's names and 18 templates; the folder with its names.
  assert.deepEqual(exp.zeroShot.map((z) => z.name), ["cifar100", "zeroshot"])
  assert.equal(exp.zeroShot[0]!.classNames.length, 100)
  assert.equal(exp.zeroShot[0]!.templates.length, 18)
  assert.deepEqual(Array.from(exp.zeroShot[0]!.test.labels), [3, 3, 17, 42, 99, 17])
  assert.deepEqual(exp.zeroShot[1]!.classNames, ["fire truck", "lawn", "sky"])
  assert.deepEqual(exp.zeroShot[1]!.templates, ["a photo of a {}.", "a photo of the {}."])
  assert.equal(exp.zeroShot[1]!.test.size, 9)
  // Retrieval: COCO's 4 Karpathy test images in folds of 2, Flickr30K's 3 test images (one fold of 2).
  assert.deepEqual(exp.retrievalTasks, ["coco retrieval", "coco retrieval", "flickr30k retrieval"])
  assert.deepEqual(exp.retrieval.map((f) => f.size), [2, 2, 2])
  assert.equal(exp.retrieval[0]!.captions[0]!.length, 5)
  // Reference pairs (ZSCL): Karpathy's train split only (the "val" image is left out).
  assert.equal(exp.pretrain!.size, 7)
  assert.match(exp.pretrain!.captions[0]![0]!, /person/)
})

test("coco source: decoding stamps every input into the parameters, so a changed file changes the key", () => {
  const p = decodeOk(params())
  const encoded = Schema.encodeSync(DataParams)(p) as { files: Record<string, string> }
  const ann = path.join(fx.coco, "annotations", "instances_val2014.json")
  assert.match(encoded.files[ann]!, new RegExp(`^${fs.statSync(ann).size} bytes, modified `))
  for (const f of [path.join(fx.coco, "train2014"), path.join(fx.flickr, "flickr30k-images"), path.join(fx.cifar, "test.bin"), path.join(fx.zeroShot, "lawn")]) {
    assert.ok(encoded.files[f] !== undefined, `no stamp for ${f}`)
  }
  // Whatever a caller writes into `files` is replaced.
  assert.deepEqual(decodeOk({ ...params(), files: { x: "y" } }), p)
  const later = new Date(Date.now() + 60_000)
  fs.utimesSync(ann, later, later)
  const again = Schema.encodeSync(DataParams)(decodeOk(params())) as { files: Record<string, string> }
  assert.notEqual(again.files[ann], encoded.files[ann])
  // Adding an image to a zero-shot class re-stamps that class folder.
  fs.copyFileSync(path.join(fx.zeroShot, "lawn", "img1.png"), path.join(fx.zeroShot, "lawn", "img9.png"))
  fs.utimesSync(path.join(fx.zeroShot, "lawn"), later, later)
  const third = Schema.encodeSync(DataParams)(decodeOk(params())) as { files: Record<string, string> }
  assert.notEqual(third.files[path.join(fx.zeroShot, "lawn")], again.files[path.join(fx.zeroShot, "lawn")])
  fs.rmSync(path.join(fx.zeroShot, "lawn", "img9.png"))
})

test("coco source: the engine's cache key of a stage reading the source follows its data files", () => {
  const weights = fileURLToPath(new URL("../fixtures/clip-tiny/model.safetensors", import.meta.url))
  const keyOf = () => {
    const p = pipeline("coco-key", (b) => {
      const model = b.add(loadCheckpoint, { name: "weights", params: checkpointFile(weights) })
      b.add(evaluate, { name: "evaluate", params: { data: { source: "coco", cocoDir: fx.coco, flickrDir: fx.flickr, imageSize: 16 }, session: -1 }, inputs: { model } })
    })
    const dag = resolve(p, "coco-key.ts")
    if (Either.isLeft(dag)) assert.fail(dag.left.message)
    const node = dag.right.nodes[dag.right.byName.get("evaluate")!]!
    return cacheKey({ ...node.static, inputs: {} })
  }
  const before = keyOf()
  assert.equal(keyOf(), before)
  const file = path.join(fx.flickr, "dataset_flickr30k.json")
  const later = new Date(Date.now() + 120_000)
  fs.utimesSync(file, later, later)
  assert.notEqual(keyOf(), before)
})

test("coco source: a missing input fails decoding, naming the file and the parameter", () => {
  const r = decode(params({ flickrDir: path.join(root, "nowhere"), testInstances: "annotations/instances_val2017.json" }))
  assert.ok(Either.isLeft(r))
  const msg = ParseResult.TreeFormatter.formatErrorSync(r.left)
  assert.ok(msg.includes(path.join(fx.coco, "annotations", "instances_val2017.json")), msg)
  assert.match(msg, /file not found \(parameter testInstances\)/)
  assert.ok(msg.includes(path.join(root, "nowhere", "dataset_flickr30k.json")), msg)
  const bad = decode(params({ zeroShot: [{ kind: "folder", dir: fx.zeroShot, prompts: "NoSuchSet" }] }))
  assert.ok(Either.isLeft(bad))
  assert.match(ParseResult.TreeFormatter.formatErrorSync(bad.left), /"NoSuchSet" is not a prompt set/)
  // The pipeline's one-shot check lists the same files.
  const missing = missingCocoInputs({ source: "coco", cocoDir: path.join(root, "empty") })
  assert.deepEqual(missing.map((m) => m.param), ["trainInstances", "testInstances", "trainImages", "testImages", "karpathy"])
})

test("coco source: a category without crops is an error naming the annotation file", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-coco-empty-cat-"))
  fs.cpSync(fx.coco, dir, { recursive: true })
  const file = path.join(dir, "annotations", "instances_val2014.json")
  const json = JSON.parse(fs.readFileSync(file, "utf8"))
  json.annotations = json.annotations.filter((a: { category_id: number }) => a.category_id !== 18)
  fs.writeFileSync(file, JSON.stringify(json))
  const p = decodeOk(params({ cocoDir: dir, flickrDir: undefined, zeroShot: [] }))
  await assert.rejects(openExperiment(p), (e: unknown) => e instanceof CocoSourceError && e.file === file && /dog/.test(e.message))
})
