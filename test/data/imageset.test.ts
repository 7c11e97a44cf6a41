import assert from "node:assert/strict"
import { describe, it } from "node:test"
import {
  captionedImages, folds, indicesOfClasses, labeledImages, materialize, relabel, subset
} from "../../src/data/ImageSet.js"
import { mix, mulberry32, permutation } from "../../src/random.js"

// A set whose image i is 2 x 2 x 1 pixels of value i; it counts reads.
const counting = (n: number, labels?: Array<number>) => {
  const calls: Array<Array<number>> = []
  const ds = labeledImages({
    name: "toy",
    height: 2,
    width: 2,
    channels: 1,
    size: n,
    classNames: ["a", "b", "c"],
    labels: Int32Array.from(labels ?? Array.from({ length: n }, (_, i) => i % 3)),
    readInto: async (idx, out) => {
      calls.push(Array.from(idx))
      for (let k = 0; k < idx.length; k++) out.fill(idx[k]!, 4 * k, 4 * k + 4)
    }
  })
  return { ds, calls }
}

describe("image sets", () => {
  it("batches cover every record once, images follow their indices, labels follow images", async () => {
    const { ds } = counting(23)
    for (const opts of [{}, { shuffle: true, seed: 4 }, { prefetch: false }]) {
      const seen: Array<number> = []
      for await (const b of ds.batches(5, opts)) {
        assert.equal(b.images.length, 4 * b.indices.length)
        b.indices.forEach((i, k) => {
          assert.equal(b.images[4 * k], i)
          assert.equal(b.labels[k], i % 3)
        })
        seen.push(...b.indices)
      }
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i))
    }
  })

  it("surfaces a read error from the batch that failed", async () => {
    const ds = labeledImages({
      name: "flaky", height: 1, width: 1, channels: 1, size: 10, classNames: ["x"], labels: new Int32Array(10),
      readInto: async (idx) => {
        if (Array.from(idx).includes(7)) throw new Error("record 7 is bad")
      }
    })
    const got: Array<number> = []
    await assert.rejects(async () => {
      for await (const b of ds.batches(3)) got.push(...b.indices)
    }, /record 7 is bad/)
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5])
  })

  it("subsets, relabels and materializes without changing pixels", async () => {
    const { ds, calls } = counting(12)
    const sub = subset(ds, [9, 2, 5])
    assert.deepEqual(Array.from(sub.labels), [0, 2, 2])
    assert.deepEqual(Array.from(await sub.read([2, 0])), [5, 5, 5, 5, 9, 9, 9, 9])
    const rel = relabel(sub, Int32Array.from([1, 0, 0]), ["even", "odd"])
    assert.deepEqual(rel.classNames, ["even", "odd"])
    assert.equal((await rel.get(0)).image[0], 9)
    assert.throws(() => relabel(sub, Int32Array.from([2, 0, 0]), ["even", "odd"]), (e: any) => e._tag === "DataArgumentError")
    assert.throws(() => subset(ds, [12]), (e: any) => e._tag === "DataArgumentError")
    const before = calls.length
    const mem = await materialize(ds, 5)
    assert.equal(calls.length - before, 3, "read once, in chunks of 5")
    assert.deepEqual(await mem.read([11, 0, 4]), await ds.read([11, 0, 4]))
    const after = calls.length
    await mem.read([3, 3])
    assert.equal(calls.length, after, "a materialized set does not read its source again")
    assert.deepEqual(Array.from(indicesOfClasses(ds, [0, 2])), [0, 2, 3, 5, 6, 8, 9, 11])
  })

  it("walks captioned sets with their captions and folds them", async () => {
    const ds = captionedImages({
      name: "caps", height: 1, width: 1, channels: 3, size: 5,
      captions: Array.from({ length: 5 }, (_, i) => [`image ${i}`, `picture ${i}`]),
      readInto: async (idx, out) => {
        for (let k = 0; k < idx.length; k++) out.fill(idx[k]!, 3 * k, 3 * k + 3)
      }
    })
    for await (const b of ds.batches(2, { shuffle: true, seed: 1 })) {
      b.indices.forEach((i, k) => {
        assert.deepEqual(b.captions[k], [`image ${i}`, `picture ${i}`])
        assert.equal(b.images[3 * k], i)
      })
    }
    const f = folds(ds, 2)
    assert.equal(f.length, 2)
    assert.deepEqual(f[1]!.captions[0], ["image 2", "picture 2"])
    assert.equal((await f[1]!.get(1)).image[0], 3)
    const m = await materialize(ds)
    assert.deepEqual(m.captions, ds.captions)
  })

  it("draws deterministic permutations and streams", () => {
    assert.deepEqual(permutation(50, 3), permutation(50, 3))
    assert.notDeepEqual(permutation(50, 3), permutation(50, 4))
    assert.deepEqual([...permutation(50, 3)].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i))
    const a = mulberry32(mix(1, 2))
    const b = mulberry32(mix(1, 2))
    const xs = Array.from({ length: 5 }, () => a.next())
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()))
    assert.ok(xs.every((x) => x >= 0 && x < 1))
    assert.notEqual(mix(1, 2), mix(2, 1))
  })
})
