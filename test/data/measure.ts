// Measurements quoted in docs/data.md. Not a test; run with
//   node --import tsx test/data/measure.ts [fashionMnistDir]
// It prints throughput of the synthetic world and, when the Debian
// Fashion-MNIST files are present, of the IDX reader on them.
import * as fs from "node:fs"
import { debianFashionMnistDir } from "../../src/data/catalog.js"
import { openMnist } from "../../src/data/idx.js"
import { worldProtocol } from "../../src/data/synthetic/world.js"

const rate = (n: number, ms: number) => `${n} in ${(ms / 1000).toFixed(2)} s = ${Math.round(n / (ms / 1000))}/s`
// CPU time of this process (user + system), less sensitive than wall time to other load on the machine.
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

const t0 = performance.now()
const w = worldProtocol({ seed: 0 })
console.log(`worldProtocol() with defaults (30000 pretraining images x 3 captions): ${(performance.now() - t0).toFixed(0)} ms`)
for (const imageSize of [32, 64]) {
  const world = imageSize === 32 ? w : worldProtocol({ seed: 0, imageSize })
  for (let rep = 0; rep < 2; rep++) {
    const s = performance.now()
    const c = cpuMs()
    let n = 0
    for await (const b of world.pretrain.batches(500, { shuffle: true, seed: rep })) n += b.indices.length
    console.log(`synthetic ${imageSize}x${imageSize} pretraining images, shuffled batches of 500: wall ${rate(n, performance.now() - s)}; cpu ${rate(n, cpuMs() - c)}`)
  }
}

const dir = process.argv[2] ?? debianFashionMnistDir
if (fs.existsSync(dir)) {
  for (const split of ["train", "test"] as const) {
    const s = performance.now()
    const ds = await openMnist({ dir, split })
    const opened = performance.now() - s
    let n = 0
    const counts = new Array(ds.classNames.length).fill(0)
    const s2 = performance.now()
    for await (const b of ds.batches(1000, { shuffle: true, seed: 0 })) {
      n += b.indices.length
      for (const l of b.labels) counts[l]++
    }
    console.log(`fashion-mnist/${split}: ${ds.size} images ${ds.height}x${ds.width}x${ds.channels}, opened in ${opened.toFixed(0)} ms; shuffled walk ${rate(n, performance.now() - s2)}; per class ${counts.join(",")}`)
  }
} else {
  console.log(`no Fashion-MNIST files in ${dir}`)
}
