// Writes the default world protocol as raw files for the PyTorch sanity check
// in world_check.py (see docs/data.md):
//   node --import tsx test/data/reference/dump-world.ts OUT_DIR [seed]
// OUT_DIR gets NAME.u8.gz (N x H x W x 3 bytes, gzipped) and NAME.json (captions or labels);
// the zero-shot tasks share one split, written once as zero-shot.u8 with every
// task's labels. PRETRAIN_SIZE (default 30000) shrinks the pretraining split.
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import type { CaptionedImages, LabeledImages } from "../../../src/data/ImageSet.js"
import { worldProtocol } from "../../../src/data/synthetic/world.js"

const out = process.argv[2]
if (!out) throw new Error("usage: dump-world.ts OUT_DIR [seed] [pretrainSize] [pixelNoise]")
const seed = Number(process.argv[3] ?? 0)
fs.mkdirSync(out, { recursive: true })
const pretrainSize = Number(process.argv[4] ?? 30000)
// PIXEL_NOISE 0 writes clean images that gzip well (world_check.py adds the noise back).
const pixelNoise = Number(process.argv[5] ?? 8)
const w = worldProtocol({ seed, pretrainSize, pixelNoise })

const dump = async (name: string, ds: LabeledImages | CaptionedImages, meta: object) => {
  const all = await ds.read(Array.from({ length: ds.size }, (_, i) => i))
  fs.writeFileSync(path.join(out, `${name}.u8.gz`), zlib.gzipSync(all, { level: 6 }))
  fs.writeFileSync(path.join(out, `${name}.json`), JSON.stringify({ size: ds.size, height: ds.height, width: ds.width, ...meta }))
}
await dump("pretrain", w.pretrain, { captions: w.pretrain.captions })
await dump("retrieval", w.retrieval, { captions: w.retrieval.captions })
const task = (t: { classNames: ReadonlyArray<string>; templates: ReadonlyArray<string>; test: LabeledImages }) => ({
  classNames: t.classNames, templates: t.templates, labels: Array.from(t.test.labels)
})
await dump("target-train", w.target.train, { ...task(w.target), labels: Array.from(w.target.train.labels) })
await dump("target-test", w.target.test, task(w.target))
await dump("zero-shot", w.zeroShot[0]!.test, { tasks: Object.fromEntries(w.zeroShot.map((t) => [t.name, task(t)])) })
console.log(`wrote ${out}`)
