// Writes the tiny image folder of pipelines/custom-dataset.ts (pipelines/data/shapes): the synthetic
// world's target task (8 shapes on a background pretraining never shows) as PNG files and a labels
// file, so the example reads a data set in the form users bring their own. Deterministic; rerun
// with `node --import tsx scripts/make-shapes-folder.ts` after changing the world.
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import sharp from "sharp"
import { worldProtocol } from "../src/data/synthetic/world.js"

const out = fileURLToPath(new URL("../pipelines/data/shapes/", import.meta.url))
const perClass = { train: 8, test: 4 }
const w = worldProtocol({ seed: 0, imageSize: 32, targetTrainPerClass: perClass.train, targetTestPerClass: perClass.test, pretrainSize: 1, retrievalSize: 1, zeroShotSize: 1 })
fs.rmSync(out, { recursive: true, force: true })
fs.mkdirSync(path.join(out, "images"), { recursive: true })
const rows = ["file,label,split"]
for (const [split, set] of [["train", w.target.train], ["test", w.target.test]] as const) {
  const all = await set.read(Int32Array.from({ length: set.size }, (_, i) => i))
  const per = set.height * set.width * set.channels
  for (let i = 0; i < set.size; i++) {
    const name = `images/${split}-${String(i).padStart(3, "0")}.png`
    const png = await sharp(Buffer.from(all.subarray(i * per, (i + 1) * per)), { raw: { width: set.width, height: set.height, channels: set.channels as 3 } })
      .png({ compressionLevel: 9 })
      .toBuffer()
    fs.writeFileSync(path.join(out, name), png)
    rows.push(`${name},${set.classNames[set.labels[i]!]},${split}`)
  }
}
fs.writeFileSync(path.join(out, "labels.csv"), `${rows.join("\n")}\n`)
console.log(`wrote ${rows.length - 1} images and labels.csv to ${out}`)
