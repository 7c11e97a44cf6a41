import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { gzipSync } from "node:zlib"
import { Schema } from "effect"
import { createHash } from "node:crypto"
import { FashionMnistData, FashionMnistSourceError } from "../../../src/data/experiments/fashionMnist.js"
import { openFashionMnist } from "../../../src/data/experiments/open/fashionMnist.js"
import { DataParams, openExperiment } from "../../../src/data/experiments/registry.js"

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

test("fashion-mnist source reads uncompressed files and honours pretrainClasses", async () => {
  const exp = await openFashionMnist(params(fixture(false), { pretrainClasses: [3] }))
  assert.deepEqual(exp.zeroShot[0]!.classNames, ["dress"])
  assert.equal(exp.target.classNames.length, 9)
})

test("fashion-mnist source names the missing or malformed file", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-fmnist-bad-"))
  await assert.rejects(openFashionMnist(params(dir)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.message.includes(path.join(dir, "train-images-idx3-ubyte")))
  const good = fixture(false)
  fs.copyFileSync(path.join(good, "train-labels-idx1-ubyte"), path.join(good, "train-images-idx3-ubyte"))
  await assert.rejects(openFashionMnist(params(good)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.message.includes("train-images-idx3-ubyte") && /magic/.test(e.message))
  assert.throws(() => params(good, { pretrainClasses: [12] }))
})

/** A pseudo-random IDX pair of 28x28 images (labels and pixels from an LCG, so every image differs). */
const writeRandomIdx = (dir: string, split: string, n: number, seed: number, gz: boolean) => {
  let s = seed >>> 0
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s >>> 24
  }
  const img = Buffer.alloc(16 + n * 28 * 28)
  img.writeUInt32BE(0x00000803, 0); img.writeUInt32BE(n, 4); img.writeUInt32BE(28, 8); img.writeUInt32BE(28, 12)
  const lbl = Buffer.alloc(8 + n)
  lbl.writeUInt32BE(0x00000801, 0); lbl.writeUInt32BE(n, 4)
  for (let i = 0; i < n; i++) lbl[8 + i] = next() % 10
  for (let i = 16; i < img.length; i++) img[i] = next()
  const put = (name: string, b: Buffer) => fs.writeFileSync(path.join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(b) : b)
  put(`${split}-images-idx3-ubyte`, img)
  put(`${split}-labels-idx1-ubyte`, lbl)
}

test("fashion-mnist source reads through src/data/idx.ts to the same images, labels and captions as its former own IDX parser", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-fmnist-digest-"))
  writeRandomIdx(dir, "train", 600, 1, true)
  writeRandomIdx(dir, "t10k", 200, 2, false)
  const p = Schema.decodeUnknownSync(DataParams)({
    source: "fashion-mnist", dir, seed: 7, pretrainPerClass: 20, retrievalPerClass: 10, targetTrainPerClass: 15, targetTestPerClass: 12, zeroShotPerClass: 9, pretrainClasses: [0, 2, 4, 9]
  })
  const exp = await openExperiment(p)
  const h = createHash("sha256")
  const sets = [["pretrain", exp.pretrain!], ["train", exp.target.train], ["test", exp.target.test], ["zs", exp.zeroShot[0]!.test], ["ret", exp.retrieval[0]!]] as const
  for (const [n, set] of sets) {
    h.update(n)
    h.update(String([set.name, set.size, set.height, set.width, set.channels]))
    h.update(await set.read(Int32Array.from({ length: set.size }, (_, i) => i)))
    if ("labels" in set) h.update(JSON.stringify([Array.from(set.labels), set.classNames]))
    if ("captions" in set) h.update(JSON.stringify(set.captions))
  }
  h.update(JSON.stringify([exp.name, exp.target.name, exp.target.templates, exp.zeroShot.map((z) => [z.name, z.templates])]))
  // Digest of the same experiment opened by the source's former parser (before it read through idx.ts).
  assert.equal(h.digest("hex"), "387cd9fd43387a1c0be830dc1bc1bd36589fa0333880b71f542606d93c299b6c")
})

test("fashion-mnist source names the file with an out-of-range label or a truncated record", async () => {
  const bad = fixture(false)
  const labels = path.join(bad, "t10k-labels-idx1-ubyte")
  const b = fs.readFileSync(labels)
  b[8 + 4] = 11
  fs.writeFileSync(labels, b)
  await assert.rejects(openFashionMnist(params(bad)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.file === labels && /label 11/.test(e.message))
  const cut = fixture(false)
  const images = path.join(cut, "train-images-idx3-ubyte")
  fs.writeFileSync(images, fs.readFileSync(images).subarray(0, 16 + 5 * 16 + 3))
  await assert.rejects(openFashionMnist(params(cut)), (e: unknown) =>
    e instanceof FashionMnistSourceError && e.file === images && /truncated/.test(e.message))
})
