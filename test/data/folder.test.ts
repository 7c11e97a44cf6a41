import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { after, before, describe, it } from "node:test"
import sharp from "sharp"
import { openImageFolder } from "../../src/data/folder.js"
import { folderClasses } from "../../src/data/folderNames.js"
import { channelMean, solidJpeg, solidPng, tmpDir, walkAll } from "./fixtures.js"

const dir = tmpDir("folder")

// Class "Forest" (green PNGs), "River" (blue JPEGs), "Highway" (grey; one grayscale PNG, one RGBA PNG).
// File i of a class has red channel 10 * i so the split order can be checked.
const root = path.join(dir, "eurosat")
const setup = async () => {
  const mk = (c: string) => fs.mkdirSync(path.join(root, c), { recursive: true })
  ;["Forest", "River", "Highway"].forEach(mk)
  for (let i = 1; i <= 12; i++) await solidPng(path.join(root, "Forest", `Forest_${i}.png`), [10 * i, 200, 0], 16, 16)
  for (let i = 1; i <= 4; i++) await solidJpeg(path.join(root, "River", `River_${i}.jpg`), [10 * i, 0, 220], 20, 10)
  await sharp(Buffer.alloc(64, 128), { raw: { width: 8, height: 8, channels: 1 } }).png().toFile(path.join(root, "Highway", "Highway_1.png"))
  await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 20, g: 100, b: 100, alpha: 0.5 } } }).png().toFile(path.join(root, "Highway", "Highway_2.png"))
  fs.writeFileSync(path.join(root, "Highway", "README.txt"), "not an image")
}

describe("image folders", () => {
  before(setup)
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("labels classes by sorted folder name and reads files in natural order", async () => {
    assert.deepEqual(folderClasses(root), ["Forest", "Highway", "River"])
    const ds = await openImageFolder({ root, size: 8 })
    assert.equal(ds.size, 18)
    assert.deepEqual([ds.height, ds.width, ds.channels], [8, 8, 3])
    assert.deepEqual(ds.classNames, ["Forest", "Highway", "River"])
    assert.deepEqual(Array.from(ds.labels), [...Array(12).fill(0), 1, 1, 2, 2, 2, 2])
    // Natural order: Forest_2 before Forest_10.
    const second = await ds.get(1)
    assert.ok(Math.abs(channelMean(second.image, 0) - 20) <= 1)
    const tenth = await ds.get(9)
    assert.ok(Math.abs(channelMean(tenth.image, 0) - 100) <= 1)
    // Grayscale and RGBA come out as 3 channels.
    const grey = await ds.get(12)
    assert.ok(Math.abs(channelMean(grey.image, 0) - 128) <= 1 && Math.abs(channelMean(grey.image, 2) - 128) <= 1)
    const river = await ds.get(14)
    assert.ok(channelMean(river.image, 2) > 200 && channelMean(river.image, 1) < 15)
    const all = await walkAll(ds, 5, { shuffle: true, seed: 3 })
    assert.deepEqual([...all.idx].sort((a, b) => a - b), [...Array(18).keys()])
  })

  it("defaults to the first image's size and resizes others to it", async () => {
    const ds = await openImageFolder({ root })
    assert.deepEqual([ds.height, ds.width], [16, 16])
    const r = await ds.read([16])
    assert.equal(r.length, 16 * 16 * 3)
  })

  it("holds out the last K images of each class, deterministically", async () => {
    const train = await openImageFolder({ root, size: 4, holdOut: { last: 1, part: "train" } })
    const test = await openImageFolder({ root, size: 4, holdOut: { last: 1, part: "test" } })
    assert.equal(train.size + test.size, 18)
    assert.deepEqual(Array.from(test.labels), [0, 1, 2])
    const forestTest = await test.get(0)
    assert.ok(Math.abs(channelMean(forestTest.image, 0) - 120) <= 1)
    assert.equal(test.name, "eurosat/test")
    await assert.rejects(openImageFolder({ root, holdOut: { last: 2, part: "test" } }), (e: any) =>
      e._tag === "DataFormatError" && e.file.endsWith("Highway"))
  })

  describe("errors", () => {
    it("names a missing root and an empty class folder", async () => {
      await assert.rejects(openImageFolder({ root: path.join(dir, "none") }), (e: any) => e._tag === "DataFileMissing")
      const r = path.join(dir, "empty")
      fs.mkdirSync(path.join(r, "a"), { recursive: true })
      await assert.rejects(openImageFolder({ root: r }), (e: any) => e._tag === "DataFormatError" && e.file.endsWith(path.join("empty", "a")))
    })

    it("names an image that does not decode; skipBad drops and counts it", async () => {
      const r = path.join(dir, "broken")
      fs.mkdirSync(path.join(r, "cat"), { recursive: true })
      fs.mkdirSync(path.join(r, "dog"), { recursive: true })
      await solidPng(path.join(r, "cat", "1.png"), [1, 2, 3])
      const bad = path.join(r, "cat", "2.png")
      fs.writeFileSync(bad, Buffer.from("\x89PNG garbage"))
      await solidPng(path.join(r, "dog", "1.png"), [9, 9, 9])
      const ds = await openImageFolder({ root: r, size: 4 })
      await assert.rejects(ds.read([0, 1]), (e: any) => e._tag === "ImageDecodeError" && e.file === bad && e.record === 1)
      const skipping = await openImageFolder({ root: r, size: 4, skipBad: true })
      assert.equal(skipping.size, 2)
      assert.equal(skipping.skipped, 1)
      assert.deepEqual(Array.from(skipping.labels), [0, 1])
    })

    it("skipBad with no size infers it from the first image that decodes", async () => {
      const r = path.join(dir, "badfirst")
      fs.mkdirSync(path.join(r, "cat"), { recursive: true })
      fs.mkdirSync(path.join(r, "dog"), { recursive: true })
      fs.writeFileSync(path.join(r, "cat", "1.png"), Buffer.from("\x89PNG garbage"))
      // A valid header over a cut-off body: the size reads, the image does not decode.
      const full = path.join(r, "cat", "2.png")
      await solidPng(full, [1, 2, 3], 30, 20)
      fs.writeFileSync(full, fs.readFileSync(full).subarray(0, 40))
      await solidPng(path.join(r, "cat", "3.png"), [1, 2, 3], 12, 10)
      await solidPng(path.join(r, "dog", "1.png"), [9, 9, 9], 12, 10)
      const ds = await openImageFolder({ root: r, skipBad: true })
      assert.deepEqual([ds.height, ds.width], [10, 12])
      assert.equal(ds.size, 2)
      assert.equal(ds.skipped, 2)
      const { image } = await ds.get(1)
      assert.deepEqual(Array.from(image.subarray(0, 3)), [9, 9, 9])
      await assert.rejects(openImageFolder({ root: r }), (e: any) => e._tag === "ImageDecodeError")
    })

    it("rejects class names that do not match the folders", async () => {
      await assert.rejects(openImageFolder({ root, classNames: ["a", "b"] }), (e: any) => e._tag === "DataFormatError")
      const ds = await openImageFolder({ root, size: 4, classNames: ["forest", "highway or road", "river"] })
      assert.equal(ds.classNames[1], "highway or road")
    })
  })
})
