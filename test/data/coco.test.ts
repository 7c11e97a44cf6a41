import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { after, before, describe, it } from "node:test"
import sharp from "sharp"
import { cocoCategories, openCocoCaptions, openCocoCrops, openKarpathy } from "../../src/data/coco.js"
import { folds } from "../../src/data/ImageSet.js"
import { channelMean, solidJpeg, solidPng, tmpDir } from "./fixtures.js"

const dir = tmpDir("coco")
const images = path.join(dir, "val2014")
const write = (name: string, json: unknown) => {
  const f = path.join(dir, name)
  fs.writeFileSync(f, JSON.stringify(json))
  return f
}

// Image 1: 40 x 30, left half red, right half blue. Image 2: green. Image 3: does not decode.
const setup = async () => {
  fs.mkdirSync(images, { recursive: true })
  const px = Buffer.alloc(40 * 30 * 3)
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const i = (y * 40 + x) * 3
      if (x < 20) px[i] = 230
      else px[i + 2] = 230
    }
  }
  await sharp(px, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(path.join(images, "img1.png"))
  await solidJpeg(path.join(images, "img2.jpg"), [0, 200, 0], 24, 24)
  fs.writeFileSync(path.join(images, "img3.jpg"), Buffer.from("not a jpeg"))
  await solidPng(path.join(images, "img4.png"), [90, 90, 90], 8, 8)
}

const categories = [
  { id: 18, name: "dog", supercategory: "animal" },
  { id: 1, name: "person", supercategory: "person" },
  { id: 3, name: "car", supercategory: "vehicle" }
]
const imageList = [
  { id: 1, file_name: "img1.png", width: 40, height: 30 },
  { id: 2, file_name: "img2.jpg", width: 24, height: 24 },
  { id: 3, file_name: "img3.jpg", width: 10, height: 10 }
]
const annotations = [
  { id: 10, image_id: 2, category_id: 18, bbox: [2, 2, 10, 10], iscrowd: 0 },
  { id: 5, image_id: 1, category_id: 3, bbox: [1, 1, 15, 20], iscrowd: 0 },
  { id: 6, image_id: 1, category_id: 1, bbox: [22.5, 3.2, 15, 20.7], iscrowd: 0 },
  { id: 7, image_id: 1, category_id: 1, bbox: [0, 0, 4, 20], iscrowd: 0 }, // not wider than 4 px
  { id: 8, image_id: 1, category_id: 1, bbox: [0, 0, 30, 4.5], iscrowd: 0 }, // taller than 4, wider than 4
  { id: 9, image_id: 1, category_id: 3, bbox: [0, 0, 39, 29], iscrowd: 1 }
]

describe("COCO", () => {
  before(setup)
  after(() => fs.rmSync(dir, { recursive: true, force: true }))

  it("cuts crops of boxes wider and taller than 4 px, with contiguous labels by category id", async () => {
    const ann = write("instances_val2014.json", { images: imageList.slice(0, 2), annotations, categories })
    assert.deepEqual(cocoCategories(ann).map((c) => c.name), ["person", "car", "dog"])
    const ds = await openCocoCrops({ annotations: ann, images, size: 8 })
    assert.deepEqual(ds.classNames, ["person", "car", "dog"])
    // Sorted by (image id, annotation id): 5, 6, 8, 9 of image 1, then 10 of image 2.
    assert.deepEqual(Array.from(ds.labels), [1, 0, 0, 1, 2])
    assert.deepEqual([ds.height, ds.width, ds.channels, ds.size], [8, 8, 3, 5])
    const all = await ds.read([0, 1, 4])
    const per = 8 * 8 * 3
    const car = all.subarray(0, per)
    const person = all.subarray(per, 2 * per)
    const dog = all.subarray(2 * per)
    assert.ok(channelMean(car, 0) > 220 && channelMean(car, 2) < 10, "left box is red")
    assert.ok(channelMean(person, 2) > 220 && channelMean(person, 0) < 10, "right box is blue")
    assert.ok(channelMean(dog, 1) > 190, "image 2 is green")
    const noCrowd = await openCocoCrops({ annotations: ann, images, size: 8, excludeCrowd: true })
    assert.equal(noCrowd.size, 4)
  })

  it("reads captions grouped per image in id order", async () => {
    const ann = write("captions_val2014.json", {
      images: [imageList[1], imageList[0], { id: 7, file_name: "none.jpg" }],
      annotations: [
        { id: 3, image_id: 2, caption: "a green square " },
        { id: 2, image_id: 1, caption: "red and blue halves" },
        { id: 1, image_id: 2, caption: "green everywhere" },
        { id: 4, image_id: 1, caption: "two colours" }
      ]
    })
    const ds = await openCocoCaptions({ annotations: ann, images, size: 6 })
    assert.equal(ds.size, 2)
    assert.deepEqual(ds.captions, [["red and blue halves", "two colours"], ["green everywhere", "a green square"]])
    const { image, captions } = await ds.get(1)
    assert.equal(captions[0], "green everywhere")
    assert.ok(channelMean(image, 1) > 190)
  })

  it("reads a Karpathy split and folds its test images", async () => {
    const mk = (k: number, split: string) => ({
      filepath: "val2014",
      filename: k % 2 === 0 ? "img2.jpg" : "img1.png",
      split,
      sentences: [{ raw: `caption ${k} a` }, { raw: `caption ${k} b` }]
    })
    const file = write("dataset_coco.json", {
      images: [mk(0, "train"), mk(1, "test"), mk(2, "test"), mk(3, "val"), mk(4, "test"), mk(5, "test"), mk(6, "restval"), mk(7, "test")]
    })
    const test = await openKarpathy({ file, images: dir, split: "test", size: 4 })
    assert.equal(test.size, 5)
    assert.deepEqual(test.captions[0], ["caption 1 a", "caption 1 b"])
    const fs2 = folds(test, 2)
    assert.equal(fs2.length, 2)
    assert.deepEqual(fs2[1]!.captions.map((c) => c[0]), ["caption 4 a", "caption 5 a"])
    const img = await fs2[1]!.get(0)
    assert.ok(channelMean(img.image, 1) > 190, "caption 4 is image 2 (green)")
    assert.equal(folds(test, 2, true).length, 3)
    const train = await openKarpathy({ file, images: dir, split: ["train", "restval"], size: 4 })
    assert.equal(train.size, 2)
    // Flickr30K's file has no filepath.
    const flickr = write("dataset_flickr30k.json", { images: [{ filename: "img2.jpg", split: "test", sentences: [{ raw: "x" }] }] })
    const f = await openKarpathy({ file: flickr, images, split: "test", size: 4 })
    assert.ok(channelMean((await f.get(0)).image, 1) > 190)
  })

  describe("errors", () => {
    it("names a missing or malformed annotation file", async () => {
      const missing = path.join(dir, "instances_none.json")
      await assert.rejects(openCocoCrops({ annotations: missing, images }), (e: any) => e._tag === "DataFileMissing" && e.file === missing)
      const broken = path.join(dir, "broken.json")
      fs.writeFileSync(broken, "{ not json")
      await assert.rejects(openCocoCrops({ annotations: broken, images }), (e: any) => e._tag === "DataFormatError" && e.file === broken)
      const noAnn = write("noann.json", { images: [], categories })
      await assert.rejects(openCocoCrops({ annotations: noAnn, images }), (e: any) =>
        e._tag === "DataFormatError" && e.reason.includes("annotations"))
      const badBox = write("badbox.json", { images: imageList, categories, annotations: [{ image_id: 1, category_id: 1, bbox: [1, 2] }] })
      await assert.rejects(openCocoCrops({ annotations: badBox, images }), (e: any) => e._tag === "DataFormatError" && e.record === 0)
    })

    it("names an unknown category as a label out of range", async () => {
      const ann = write("badcat.json", {
        images: imageList, categories,
        annotations: [annotations[1], { id: 99, image_id: 1, category_id: 42, bbox: [1, 1, 10, 10] }]
      })
      await assert.rejects(openCocoCrops({ annotations: ann, images }), (e: any) =>
        e._tag === "LabelOutOfRange" && e.record === 1 && e.label === 42 && e.numClasses === 3)
    })

    it("names an image that does not decode or is missing; skipBad drops its crops", async () => {
      const imgs = [...imageList, { id: 4, file_name: "gone.png" }]
      const anns = [
        annotations[1],
        { id: 20, image_id: 3, category_id: 1, bbox: [1, 1, 6, 6] },
        { id: 21, image_id: 3, category_id: 3, bbox: [1, 1, 6, 6] },
        { id: 22, image_id: 4, category_id: 3, bbox: [1, 1, 6, 6] }
      ]
      const ann = write("instances_bad.json", { images: imgs, categories, annotations: anns })
      const ds = await openCocoCrops({ annotations: ann, images, size: 4 })
      await assert.rejects(ds.read([1]), (e: any) => e._tag === "ImageDecodeError" && e.file.endsWith("img3.jpg") && e.record === 1)
      await assert.rejects(ds.read([3]), (e: any) => e._tag === "DataFileMissing" && e.file.endsWith("gone.png"))
      const skipping = await openCocoCrops({ annotations: ann, images, size: 4, skipBad: true })
      assert.equal(skipping.size, 1)
      assert.equal(skipping.skipped, 3)
      assert.equal((await skipping.read([0])).length, 48)
    })

    it("names a Karpathy entry without sentences", async () => {
      const file = write("karpathy_bad.json", { images: [{ filename: "img1.png", split: "test", sentences: [] }] })
      await assert.rejects(openKarpathy({ file, images, split: "test" }), (e: any) => e._tag === "DataFormatError" && e.record === 0)
    })
  })
})
