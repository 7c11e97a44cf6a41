import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { gzipSync } from "node:zlib"
import { Schema } from "effect"
import { DataParams, openExperiment } from "../../src/stages/experiment.js"
import { FashionMnistData, FashionMnistSourceError, openFashionMnist } from "../../src/stages/sources/fashionMnist.js"

/** Write a tiny IDX pair: `perClass` images of each class 0..9, pixel value = 10 * label + k. */
const writeIdx = (dir: string, split: string, perClass: number, gz: boolean) => {
  const n = 10 * perClass
  const img = Buffer.alloc(16 + n * 4 * 4)
  img.writeUInt32BE(0x00000803, 0); img.writeUInt32BE(n, 4); img.writeUInt32BE(4, 8); img.writeUInt32BE(4, 12)
  const lbl = Buffer.alloc(8 + n)
  lbl.writeUInt32BE(0x00000801, 0); lbl.writeUInt32BE(n, 4)
  for (let i = 0; i < n; i++) {
    const label = i % 10
    lbl[8 + i] = label
    img.fill(label * 10 + Math.floor(i / 10), 16 + i * 16, 16 + (i + 1) * 16)
  }
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(b) : b)
  put(`${split}-images-idx3-ubyte`, img)
  put(`${split}-labels-idx1-ubyte`, lbl)
}

const fixture = (gz = true) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-fmnist-"))
  writeIdx(dir, "train", 8, gz)
  writeIdx(dir, "t10k", 3, gz)
  return dir
}

const params = (dir: string, extra: object = {}) =>
  Schema.decodeUnknownSync(FashionMnistData)({
    source: "fashion-mnist", dir, pretrainPerClass: 4, retrievalPerClass: 2, targetTrainPerClass: 5, targetTestPerClass: 3, zeroShotPerClass: 2, ...extra
  })

test("fashion-mnist source splits classes into pretraining and target halves", async () => {
  const p = params(fixture())
  assert.equal(Schema.decodeUnknownSync(DataParams)({ source: "fashion-mnist" }).source, "fashion-mnist")
  const exp = await openExperiment(p)
  assert.deepEqual(exp.target.classNames, ["dress", "coat", "shirt", "sneaker", "ankle boot"])
  assert.deepEqual(exp.zeroShot[0]!.classNames, ["t-shirt", "trousers", "pullover", "sandal", "bag"])
  assert.equal(exp.pretrain!.size, 20)
  assert.equal(exp.retrieval[0]!.size, 10)
  assert.equal(exp.target.train.size, 25)
  assert.equal(exp.target.test.size, 15)
  assert.equal(exp.zeroShot[0]!.test.size, 10)
  assert.equal(exp.pretrain!.channels, 1)
  assert.equal(exp.pretrain!.height, 4)
  // images carry their source label in the pixel value (10 * label + k)
  const tgt = await exp.target.train.read(Int32Array.from({ length: 25 }, (_, i) => i))
  exp.target.train.labels.forEach((l, i) => {
    const orig = [3, 4, 6, 7, 9][l]!
    assert.equal(Math.floor(tgt[i * 16]! / 10), orig)
  })
  const pre = await exp.pretrain!.read(Int32Array.from({ length: 20 }, (_, i) => i))
  exp.pretrain!.captions.forEach((caps, i) => {
    const orig = Math.floor(pre[i * 16]! / 10)
    const name = ["t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"][orig]!
    assert.equal(caps.length, 2)
    for (const c of caps) assert.ok(c.includes(name), `${c} names ${name}`)
  })
  // retrieval images are held out of pretraining: distinct pixel values (k differs)
  const ret = await exp.retrieval[0]!.read(Int32Array.from({ length: 10 }, (_, i) => i))
  const preVals = new Set(Array.from({ length: 20 }, (_, i) => pre[i * 16]))
  for (let i = 0; i < 10; i++) assert.ok(!preVals.has(ret[i * 16]), "retrieval image not in pretraining")
})

test("fashion-mnist source reads uncompressed files and honours pretrainClasses", () => {
  const exp = openFashionMnist(params(fixture(false), { pretrainClasses: [3] }))
  assert.deepEqual(exp.zeroShot[0]!.classNames, ["dress"])
  assert.equal(exp.target.classNames.length, 9)
})

test("fashion-mnist source names the missing or malformed file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-fmnist-bad-"))
  assert.throws(() => openFashionMnist(params(dir)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.message.includes(path.join(dir, "train-images-idx3-ubyte")))
  const good = fixture(false)
  fs.copyFileSync(path.join(good, "train-labels-idx1-ubyte"), path.join(good, "train-images-idx3-ubyte"))
  assert.throws(() => openFashionMnist(params(good)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.message.includes("train-images-idx3-ubyte") && /magic/.test(e.message))
  assert.throws(() => params(good, { pretrainClasses: [12] }))
})
