import assert from "node:assert/strict"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { after, describe, it } from "node:test"
import { openIdx, openMnist } from "../../src/data/idx.js"
import { fashionMnistClasses } from "../../src/data/catalog.js"
import { idxBytes, pixel, tmpDir, walkAll, writeIdx } from "./fixtures.js"

const dir = tmpDir("idx")
after(() => fs.rmSync(dir, { recursive: true, force: true }))

const labels = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
const N = labels.length

const checkRecords = async (images: string, lbls: string, extra: object = {}) => {
  const ds = await openIdx({ images, labels: lbls, ...extra })
  assert.equal(ds.size, N)
  assert.deepEqual([ds.height, ds.width, ds.channels], [4, 3, 1])
  assert.deepEqual(Array.from(ds.labels), labels)
  for (const i of [0, 5, 10]) {
    const { image, label } = await ds.get(i)
    assert.equal(label, labels[i])
    assert.deepEqual(Array.from(image), Array.from({ length: 12 }, (_, p) => pixel(i, p)))
  }
  return ds
}

describe("IDX reader", () => {
  it("reads raw files record by record", async () => {
    const d = path.join(dir, "raw")
    fs.mkdirSync(d)
    const f = writeIdx(d, N, 4, 3, labels, false)
    await checkRecords(f.images, f.labels)
  })

  it("reads gzipped files, in memory and through a scratch file", async () => {
    const d = path.join(dir, "gz")
    fs.mkdirSync(d)
    const f = writeIdx(d, N, 4, 3, labels, true)
    await checkRecords(f.images, f.labels, { gunzip: "memory" })
    const scratchDir = path.join(dir, "scratch")
    await checkRecords(f.images, f.labels, { gunzip: "scratch", scratchDir })
    assert.equal(fs.readdirSync(scratchDir).filter((x) => !x.endsWith(".partial")).length, 2)
    // A second open reuses the inflated copies.
    await checkRecords(f.images, f.labels, { gunzip: "scratch", scratchDir })
    assert.equal(fs.readdirSync(scratchDir).length, 2)
  })

  it("inflates a gzip file only up to the size its header declares (in memory and to scratch)", async () => {
    const d = path.join(dir, "bomb")
    fs.mkdirSync(d)
    // 10 records of 28x28 declared, then 96 MiB of zeros in the same archive (~100 KB compressed).
    const declared = idxBytes([10, 28, 28], Uint8Array.from({ length: 10 * 784 }, (_, p) => pixel(Math.floor(p / 784), p % 784)))
    const gz = zlib.createGzip()
    const chunks: Buffer[] = []
    gz.on("data", (c: Buffer) => chunks.push(c))
    const ended = new Promise((r) => gz.on("end", r))
    gz.write(declared)
    const zeros = Buffer.alloc(1 << 20)
    for (let i = 0; i < 96; i++) gz.write(zeros)
    gz.end()
    await ended
    const images = path.join(d, "bomb-images.gz")
    fs.writeFileSync(images, Buffer.concat(chunks))
    const lbls = path.join(d, "labels")
    fs.writeFileSync(lbls, idxBytes([10], Uint8Array.from({ length: 10 }, (_, i) => i)))
    globalThis.gc?.()
    const before = process.memoryUsage().arrayBuffers
    const ds = await openIdx({ images, labels: lbls, gunzip: "memory" })
    const held = process.memoryUsage().arrayBuffers - before
    assert.equal(ds.size, 10)
    const { image, label } = await ds.get(9)
    assert.equal(label, 9)
    assert.deepEqual(Array.from(image.subarray(0, 5)), [0, 1, 2, 3, 4].map((p) => pixel(9, p)))
    // Inflating it all would hold 96 MiB for as long as the set is open.
    assert.ok(held < 8 * 1024 * 1024, `the open set holds ${held} bytes of buffers`)
    const scratchDir = path.join(d, "scratch")
    const ds2 = await openIdx({ images, labels: lbls, gunzip: "scratch", scratchDir })
    assert.equal(ds2.size, 10)
    const [copy] = fs.readdirSync(scratchDir)
    assert.equal(fs.statSync(path.join(scratchDir, copy!)).size, declared.byteLength, "the scratch copy stops at the declared size")
  })

  it("opens the standard MNIST file names with Fashion-MNIST class names", async () => {
    const d = path.join(dir, "std")
    fs.mkdirSync(d)
    writeIdx(d, N, 4, 3, labels, true)
    const ds = await openMnist({ dir: d, split: "train" })
    assert.deepEqual(ds.classNames, fashionMnistClasses)
    assert.equal(ds.name, "fashion-mnist/train")
    await assert.rejects(openMnist({ dir: d, split: "test" }), (e: any) =>
      e._tag === "DataFileMissing" && e.file.includes("t10k-images-idx3-ubyte"))
  })

  it("streams every record exactly once, shuffled deterministically by seed", async () => {
    const d = path.join(dir, "walk")
    fs.mkdirSync(d)
    const f = writeIdx(d, N, 4, 3, labels, false)
    const ds = await openIdx({ images: f.images, labels: f.labels })
    const plain = await walkAll(ds, 4)
    assert.deepEqual(plain.idx, Array.from({ length: N }, (_, i) => i))
    assert.deepEqual(plain.labels, labels)
    const a = await walkAll(ds, 3, { shuffle: true, seed: 7 })
    const b = await walkAll(ds, 3, { shuffle: true, seed: 7 })
    const c = await walkAll(ds, 3, { shuffle: true, seed: 8 })
    assert.deepEqual(a.idx, b.idx)
    assert.notDeepEqual(a.idx, c.idx)
    assert.deepEqual([...a.idx].sort((x, y) => x - y), plain.idx)
    assert.deepEqual(a.labels, a.idx.map((i) => labels[i]))
    const dropped = await walkAll(ds, 4, { dropLast: true })
    assert.equal(dropped.idx.length, 8)
  })

  describe("errors", () => {
    const d = path.join(dir, "bad")
    fs.mkdirSync(d)
    const good = writeIdx(d, N, 4, 3, labels, false)

    it("names a missing file", async () => {
      const missing = path.join(d, "nope-idx3-ubyte")
      await assert.rejects(openIdx({ images: missing, labels: good.labels }), (e: any) =>
        e._tag === "DataFileMissing" && e.file === missing && e.message.includes(missing))
    })

    it("rejects a wrong magic number (labels passed as images)", async () => {
      await assert.rejects(openIdx({ images: good.labels, labels: good.labels }), (e: any) =>
        e._tag === "BadMagic" && e.file === good.labels && e.actual === "0x00000801" && e.expected === "0x00000803")
    })

    it("names the first truncated record; skipBad keeps the whole ones and counts the rest", async () => {
      const cut = path.join(d, "cut-images")
      const full = fs.readFileSync(good.images)
      fs.writeFileSync(cut, full.subarray(0, 16 + 12 * 7 + 5))
      await assert.rejects(openIdx({ images: cut, labels: good.labels }), (e: any) =>
        e._tag === "TruncatedRecord" && e.file === cut && e.record === 7 && e.actualBytes === 5 && e.expectedBytes === 12)
      const ds = await openIdx({ images: cut, labels: good.labels, skipBad: true })
      assert.equal(ds.size, 7)
      assert.equal(ds.skipped, 4)
      assert.deepEqual(Array.from((await ds.get(6)).image), Array.from({ length: 12 }, (_, p) => pixel(6, p)))
    })

    it("names a truncated record inside a gzip archive", async () => {
      const cut = path.join(d, "cut-images.gz")
      const full = fs.readFileSync(good.images)
      fs.writeFileSync(cut, zlib.gzipSync(full.subarray(0, 16 + 12 * 2 + 3)))
      await assert.rejects(openIdx({ images: cut, labels: good.labels }), (e: any) =>
        e._tag === "TruncatedRecord" && e.file === cut && e.record === 2)
    })

    it("names a label out of range with its record; skipBad drops it", async () => {
      const bad = path.join(d, "bad-labels")
      fs.writeFileSync(bad, idxBytes([N], Uint8Array.from(labels.map((l, i) => (i === 4 ? 12 : l)))))
      await assert.rejects(openIdx({ images: good.images, labels: bad }), (e: any) =>
        e._tag === "LabelOutOfRange" && e.file === bad && e.record === 4 && e.label === 12 && e.numClasses === 10)
      const ds = await openIdx({ images: good.images, labels: bad, skipBad: true })
      assert.equal(ds.size, N - 1)
      assert.equal(ds.skipped, 1)
      const { image, label } = await ds.get(4)
      assert.equal(label, labels[5])
      assert.equal(image[0], pixel(5, 0))
    })

    it("rejects label and image counts that disagree", async () => {
      const short = path.join(d, "short-labels")
      fs.writeFileSync(short, idxBytes([N - 2], Uint8Array.from(labels.slice(0, N - 2))))
      await assert.rejects(openIdx({ images: good.images, labels: short }), (e: any) =>
        e._tag === "DataFormatError" && e.file === short)
    })

    it("rejects a bad batch size and an index out of range", async () => {
      const ds = await openIdx({ images: good.images, labels: good.labels })
      await assert.rejects(ds.get(N), (e: any) => e._tag === "DataArgumentError")
      await assert.rejects(async () => {
        for await (const _ of ds.batches(0)) void _
      }, (e: any) => e._tag === "DataArgumentError")
    })

    it("rejects a gzip file that does not inflate", async () => {
      const junk = path.join(d, "junk.gz")
      fs.writeFileSync(junk, Buffer.from("this is not gzip"))
      await assert.rejects(openIdx({ images: junk, labels: good.labels }), (e: any) =>
        e._tag === "DataFormatError" && e.file === junk)
    })
  })
})
