import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"
import { DataFileMissing, DataFormatError } from "../../src/data/errors.js"
import { openLabelsFile, readLabelsFile } from "../../src/data/labelsFile.js"

const shapes = fileURLToPath(new URL("../../pipelines/data/shapes/labels.csv", import.meta.url))

test("labels file: the example folder's train and test splits share classes in natural order", async () => {
  const train = await openLabelsFile({ file: shapes, split: "train" })
  const test_ = await openLabelsFile({ file: shapes, split: "test", size: 16 })
  assert.deepEqual(train.classNames, ["circle", "cross", "diamond", "heart", "ring", "square", "star", "triangle"])
  assert.deepEqual(test_.classNames, train.classNames)
  assert.equal(train.size, 64)
  assert.equal(test_.size, 32)
  assert.deepEqual([train.height, train.width, train.channels], [32, 32, 3])
  assert.equal(test_.height, 16)
  // Each class has its 8 training images; the first row is a circle.
  assert.deepEqual(train.classNames.map((_, c) => train.labels.filter((l) => l === c).length), Array(8).fill(8))
  assert.equal(train.classNames[train.labels[0]!], "circle")
  const px = await train.read(Int32Array.of(0, 1))
  assert.equal(px.length, 2 * 32 * 32 * 3)
  assert.ok(px.some((v) => v !== px[0]), "decoded pixels vary")
})

const write = (text: string, images: ReadonlyArray<string> = []) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-labels-"))
  for (const f of images) fs.copyFileSync(path.join(path.dirname(shapes), "images", "train-000.png"), path.join(dir, f))
  fs.writeFileSync(path.join(dir, "labels.csv"), text)
  return path.join(dir, "labels.csv")
}

test("labels file: comments, blank lines, column order and an explicit class order", async () => {
  const file = write("# my set\nlabel,file\n\nb,x.png\na,y.png\n", ["x.png", "y.png"])
  assert.deepEqual(readLabelsFile(file).map((r) => [r.line, r.file, r.label, r.split]), [[4, "x.png", "b", undefined], [5, "y.png", "a", undefined]])
  const set = await openLabelsFile({ file, classNames: ["b", "a"] })
  assert.deepEqual(Array.from(set.labels), [0, 1])
})

test("labels file: bad files name the file and the line", async () => {
  const fails = async (file: string, pattern: RegExp, options: { split?: string; classNames?: ReadonlyArray<string> } = {}) =>
    assert.rejects(openLabelsFile({ file, ...options }), (e: unknown) => e instanceof DataFormatError && e.file === file && pattern.test(e.message))
  await fails(write("name,class\nx.png,a\n"), /line 1: the header names columns name, class/)
  await fails(write("file,label\nx.png,a,extra\n"), /line 2: 3 fields, the header names 2/)
  await fails(write("file,label\nx.png,\n"), /line 2: empty label/)
  await fails(write("file,label\nx.png,a\nmissing.png,a\n", ["x.png"]), /line 3: image .*missing\.png not found/)
  await fails(write("file,label\nx.png,c\n", ["x.png"]), /line 2: label "c" is not one of the classes a, b/, { classNames: ["a", "b"] })
  await fails(write("file,label\nx.png,a\n", ["x.png"]), /no split column/, { split: "train" })
  await fails(write("file,label,split\nx.png,a,train\n", ["x.png"]), /no row of split "test"/, { split: "test" })
  await fails(write(""), /empty/)
  await assert.rejects(openLabelsFile({ file: path.join(os.tmpdir(), "no-such-dir", "labels.csv") }), DataFileMissing)
})
