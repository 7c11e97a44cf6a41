// A tiny copy of the paper's data in the real file formats, written by the tests themselves:
// COCO (instances JSON for train and val, JPEG images, Karpathy's dataset_coco.json), Flickr30K
// (dataset_flickr30k.json, JPEG images), a zero-shot class-per-folder tree (PNG) and a CIFAR-100
// binary test split. Layouts are those the README tells users to download.
import * as fs from "node:fs"
import * as path from "node:path"
import sharp from "sharp"

/** Four real COCO categories (ids and names as in instances_*.json), each drawn in its own colour. */
export const fixtureCategories = [
  { id: 1, name: "person", supercategory: "person", rgb: [220, 40, 40] },
  { id: 3, name: "car", supercategory: "vehicle", rgb: [40, 60, 220] },
  { id: 18, name: "dog", supercategory: "animal", rgb: [40, 200, 60] },
  { id: 44, name: "bottle", supercategory: "kitchen", rgb: [230, 210, 40] }
] as const

const W = 96
const H = 72

type Rect = { readonly x: number; readonly y: number; readonly w: number; readonly h: number; readonly rgb: readonly [number, number, number] }

/** A grey image with coloured rectangles, as a JPEG or PNG file. */
const drawImage = async (file: string, rects: ReadonlyArray<Rect>, seed: number, format: "jpeg" | "png" = "jpeg", w = W, h = H) => {
  const px = Buffer.alloc(w * h * 3)
  for (let i = 0; i < w * h; i++) px.fill(90 + ((i * 7 + seed * 13) % 23), i * 3, i * 3 + 3)
  for (const r of rects) {
    for (let y = r.y; y < Math.min(h, r.y + r.h); y++) {
      for (let x = r.x; x < Math.min(w, r.x + r.w); x++) px.set(r.rgb, (y * w + x) * 3)
    }
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const img = sharp(px, { raw: { width: w, height: h, channels: 3 } })
  await (format === "jpeg" ? img.jpeg({ quality: 92 }) : img.png()).toFile(file)
}

const sentence = (raw: string, imgid: number, sentid: number) => ({
  tokens: raw.replace(/\.$/, "").split(" "),
  raw,
  imgid,
  sentid
})

/**
 * Images of one COCO split: image i holds a box of category i mod 4 and one of
 * category (i + 1) mod 4, plus a 3 px box (below the minimum size) and a crowd
 * box, so every category has 2 crops per 4 images.
 */
const cocoSplit = async (root: string, split: "train2014" | "val2014", count: number, firstId: number) => {
  const images: Array<Record<string, unknown>> = []
  const annotations: Array<Record<string, unknown>> = []
  const described: Array<{ id: number; file: string; names: Array<string> }> = []
  for (let i = 0; i < count; i++) {
    const id = firstId + i
    const fileName = `COCO_${split}_${String(id).padStart(12, "0")}.jpg`
    const a = fixtureCategories[i % 4]!
    const b = fixtureCategories[(i + 1) % 4]!
    const boxes = [
      { cat: a, x: 4 + (i % 3) * 3, y: 6, w: 34, h: 40 },
      { cat: b, x: 50, y: 14 + (i % 2) * 4, w: 30, h: 36 },
      { cat: b, x: 88, y: 60, w: 3, h: 3 }
    ]
    await drawImage(path.join(root, split, fileName), boxes.map((r) => ({ ...r, rgb: r.cat.rgb })), id)
    images.push({ license: 1, file_name: fileName, coco_url: `http://images.cocodataset.org/${split}/${fileName}`, height: H, width: W, date_captured: "2013-11-14 16:28:13", flickr_url: "", id })
    boxes.forEach((r, k) => {
      annotations.push({
        segmentation: [[r.x, r.y, r.x + r.w, r.y, r.x + r.w, r.y + r.h, r.x, r.y + r.h]],
        area: r.w * r.h,
        iscrowd: 0,
        image_id: id,
        bbox: [r.x, r.y, r.w, r.h],
        category_id: r.cat.id,
        id: id * 10 + k
      })
    })
    annotations.push({ segmentation: { counts: [0, 4], size: [H, W] }, area: 100, iscrowd: 1, image_id: id, bbox: [10, 50, 20, 12], category_id: a.id, id: id * 10 + 9 })
    described.push({ id, file: fileName, names: [a.name, b.name] })
  }
  const json = {
    info: { description: "clipcl test fixture in the COCO 2014 layout", version: "1.0", year: 2014 },
    licenses: [{ url: "http://creativecommons.org/licenses/by/2.0/", id: 1, name: "Attribution License" }],
    images,
    annotations,
    categories: fixtureCategories.map((c) => ({ supercategory: c.supercategory, id: c.id, name: c.name }))
  }
  fs.mkdirSync(path.join(root, "annotations"), { recursive: true })
  fs.writeFileSync(path.join(root, "annotations", `instances_${split}.json`), JSON.stringify(json))
  return described
}

const captionsOf = (names: ReadonlyArray<string>): Array<string> => [
  `A ${names[0]} next to a ${names[1]}.`,
  `a photo of a ${names[0]} and a ${names[1]}`,
  `There is a ${names[1]} to the right of the ${names[0]}.`,
  `A ${names[0]} on a grey background.`,
  `Two objects: ${names[0]} and ${names[1]}.`
]

/**
 * Write the fixture under `root`; returns the folders to point the pipeline's
 * variables at.
 */
export const writeCocoFixture = async (root: string) => {
  const coco = path.join(root, "coco")
  const train = await cocoSplit(coco, "train2014", 8, 100)
  const val = await cocoSplit(coco, "val2014", 4, 500)
  // Karpathy's dataset_coco.json: train images from train2014, test images from val2014, plus a
  // "val" split image the source must not use.
  let sentid = 0
  const karpathyImages = [
    ...train.map((t, k) => ({ t, split: k === 7 ? "val" : "train", filepath: "train2014" })),
    ...val.map((t) => ({ t, split: "test", filepath: "val2014" }))
  ].map(({ t, split, filepath }, imgid) => {
    const sentences = captionsOf(t.names).map((raw) => sentence(raw, imgid, sentid++))
    return { filepath, sentids: sentences.map((s) => s.sentid), filename: t.file, imgid, split, sentences, cocoid: t.id }
  })
  fs.writeFileSync(path.join(coco, "dataset_coco.json"), JSON.stringify({ images: karpathyImages, dataset: "coco" }))

  // Flickr30K: 3 test images and 1 train image.
  const flickr = path.join(root, "flickr30k")
  const flickrImages: Array<Record<string, unknown>> = []
  for (let i = 0; i < 4; i++) {
    const a = fixtureCategories[(i + 2) % 4]!
    const b = fixtureCategories[(i + 3) % 4]!
    const filename = `${1000092795 + i}.jpg`
    await drawImage(path.join(flickr, "flickr30k-images", filename), [
      { x: 10, y: 10, w: 30, h: 30, rgb: a.rgb },
      { x: 55, y: 30, w: 30, h: 30, rgb: b.rgb }
    ], 900 + i)
    const sentences = captionsOf([a.name, b.name]).map((raw) => sentence(raw, i, sentid++))
    flickrImages.push({ sentids: sentences.map((s) => s.sentid), imgid: i, sentences, split: i === 3 ? "train" : "test", filename })
  }
  fs.writeFileSync(path.join(flickr, "dataset_flickr30k.json"), JSON.stringify({ images: flickrImages, dataset: "flickr30k" }))

  // Zero-shot folder: three classes (one with an underscore, read as a space), three PNGs each.
  const zeroShot = path.join(root, "zeroshot")
  const zsClasses = [["fire_truck", [200, 30, 30]], ["lawn", [30, 170, 40]], ["sky", [90, 150, 240]]] as const
  for (const [name, rgb] of zsClasses) {
    for (let k = 0; k < 3; k++) {
      await drawImage(path.join(zeroShot, name, `img${k + 1}.png`), [{ x: 0, y: 0, w: 48, h: 24 + 4 * k, rgb }], k, "png", 48, 40)
    }
  }

  // CIFAR-100 binary test split: records [coarse label, fine label, 3072 bytes R, G, B planes].
  const cifar = path.join(root, "cifar-100-binary")
  fs.mkdirSync(cifar, { recursive: true })
  const fine = [3, 3, 17, 42, 99, 17]
  fs.writeFileSync(path.join(cifar, "test.bin"), Buffer.concat(fine.map((f, i) => {
    const img = Buffer.alloc(3072)
    for (let p = 0; p < 3072; p++) img[p] = (i * 31 + p) % 256
    return Buffer.concat([Buffer.from([f % 20, f]), img])
  })))
  return { coco, flickr, zeroShot, cifar }
}
