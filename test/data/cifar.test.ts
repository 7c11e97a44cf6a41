import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import { after, describe, it } from "node:test"
import { openCifar } from "../../src/data/cifar.js"
import { cifar10Classes } from "../../src/data/catalog.js"
import { cifarRecord, tmpDir, walkAll } from "./fixtures.js"

const dir = tmpDir("cifar")
after(() => fs.rmSync(dir, { recursive: true, force: true }))

/** HWC value at pixel p, channel c of record i (see cifarRecord). */
const hwc = (i: number, p: number, c: number) => (i * 11 + c * 50 + p) % 256

describe("CIFAR reader", () => {
  const c10 = path.join(dir, "cifar-10-batches-bin")
  fs.mkdirSync(c10)
  // Five training batches of 2, 3, 1, 2, 2 records; record ids run on across files.
  const counts = [2, 3, 1, 2, 2]
  let id = 0
  const labels10: Array<number> = []
  counts.forEach((n, b) => {
    const recs: Array<Buffer> = []
    for (let r = 0; r < n; r++, id++) {
      labels10.push(id % 10)
      recs.push(cifarRecord(id, [id % 10]))
    }
    fs.writeFileSync(path.join(c10, `data_batch_${b + 1}.bin`), Buffer.concat(recs))
  })
  fs.writeFileSync(path.join(c10, "test_batch.bin"), Buffer.concat([cifarRecord(0, [9]), cifarRecord(1, [0])]))

  it("reads CIFAR-10 across batch files and interleaves planes to HWC", async () => {
    const ds = await openCifar({ dir: c10, variant: "cifar10", split: "train" })
    assert.equal(ds.size, 10)
    assert.deepEqual([ds.height, ds.width, ds.channels], [32, 32, 3])
    assert.deepEqual(ds.classNames, cifar10Classes)
    assert.deepEqual(Array.from(ds.labels), labels10)
    for (const i of [0, 4, 9]) {
      const { image } = await ds.get(i)
      for (const p of [0, 31, 500, 1023]) for (let c = 0; c < 3; c++) assert.equal(image[3 * p + c], hwc(i, p, c))
    }
    const shuffled = await walkAll(ds, 3, { shuffle: true, seed: 1 })
    assert.deepEqual([...shuffled.idx].sort((a, b) => a - b), [...Array(10).keys()])
    const test = await openCifar({ dir: c10, variant: "cifar10", split: "test" })
    assert.deepEqual(Array.from(test.labels), [9, 0])
  })

  it("takes class names from batches.meta.txt when present", async () => {
    const d = path.join(dir, "meta10")
    fs.mkdirSync(d)
    fs.copyFileSync(path.join(c10, "test_batch.bin"), path.join(d, "test_batch.bin"))
    const names = cifar10Classes.map((n) => n.toUpperCase())
    fs.writeFileSync(path.join(d, "batches.meta.txt"), names.join("\n") + "\n\n")
    const ds = await openCifar({ dir: d, variant: "cifar10", split: "test" })
    assert.deepEqual(ds.classNames, names)
  })

  it("reads CIFAR-100 fine and coarse labels with their names", async () => {
    const d = path.join(dir, "cifar-100-binary")
    fs.mkdirSync(d)
    fs.writeFileSync(path.join(d, "test.bin"), Buffer.concat([cifarRecord(0, [3, 77]), cifarRecord(1, [19, 99]), cifarRecord(2, [0, 5])]))
    fs.writeFileSync(path.join(d, "fine_label_names.txt"), Array.from({ length: 100 }, (_, k) => `fine${k}`).join("\n"))
    fs.writeFileSync(path.join(d, "coarse_label_names.txt"), Array.from({ length: 20 }, (_, k) => `coarse${k}`).join("\n"))
    const fine = await openCifar({ dir: d, variant: "cifar100", split: "test" })
    assert.deepEqual(Array.from(fine.labels), [77, 99, 5])
    assert.equal(fine.classNames[77], "fine77")
    const coarse = await openCifar({ dir: d, variant: "cifar100", split: "test", label: "coarse" })
    assert.deepEqual(Array.from(coarse.labels), [3, 19, 0])
    assert.equal(coarse.classNames.length, 20)
    const { image } = await coarse.get(2)
    assert.equal(image[3 * 10 + 1], hwc(2, 10, 1))
  })

  describe("errors", () => {
    it("names a missing batch file and a missing CIFAR-100 names file", async () => {
      await assert.rejects(openCifar({ dir: c10, variant: "cifar10", split: "train", files: ["data_batch_6.bin"] }), (e: any) =>
        e._tag === "DataFileMissing" && e.file.endsWith("data_batch_6.bin"))
      const d = path.join(dir, "nonames")
      fs.mkdirSync(d)
      fs.writeFileSync(path.join(d, "train.bin"), cifarRecord(0, [0, 0]))
      await assert.rejects(openCifar({ dir: d, variant: "cifar100", split: "train" }), (e: any) =>
        e._tag === "DataFileMissing" && e.file.endsWith("fine_label_names.txt"))
    })

    it("names a truncated record; skipBad counts it", async () => {
      const d = path.join(dir, "cut")
      fs.mkdirSync(d)
      const file = path.join(d, "test_batch.bin")
      fs.writeFileSync(file, Buffer.concat([cifarRecord(0, [1]), cifarRecord(1, [2]), cifarRecord(2, [3]).subarray(0, 100)]))
      await assert.rejects(openCifar({ dir: d, variant: "cifar10", split: "test" }), (e: any) =>
        e._tag === "TruncatedRecord" && e.file === file && e.record === 2 && e.actualBytes === 100 && e.expectedBytes === 3073)
      const ds = await openCifar({ dir: d, variant: "cifar10", split: "test", skipBad: true })
      assert.equal(ds.size, 2)
      assert.equal(ds.skipped, 1)
    })

    it("names a label out of range; skipBad drops the record", async () => {
      const d = path.join(dir, "badlabel")
      fs.mkdirSync(d)
      const file = path.join(d, "test_batch.bin")
      fs.writeFileSync(file, Buffer.concat([cifarRecord(0, [1]), cifarRecord(1, [10]), cifarRecord(2, [3])]))
      await assert.rejects(openCifar({ dir: d, variant: "cifar10", split: "test" }), (e: any) =>
        e._tag === "LabelOutOfRange" && e.file === file && e.record === 1 && e.label === 10)
      const ds = await openCifar({ dir: d, variant: "cifar10", split: "test", skipBad: true })
      assert.deepEqual(Array.from(ds.labels), [1, 3])
      assert.equal(ds.skipped, 1)
      const { image } = await ds.get(1)
      assert.equal(image[0], hwc(2, 0, 0))
    })
  })
})
