import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { labeledImages } from "../../src/data/ImageSet.js"
import { classIncremental, datasetSequence, multiSession, oneSession, seenView, sessionView } from "../../src/data/tasks.js"

const names = Array.from({ length: 10 }, (_, k) => `c${k}`)
// 30 records, label i % 10; image i is one pixel of value i.
const set = labeledImages({
  name: "toy", height: 1, width: 1, channels: 1, size: 30, classNames: names,
  labels: Int32Array.from({ length: 30 }, (_, i) => i % 10),
  readInto: async (idx, out) => {
    for (let k = 0; k < idx.length; k++) out[k] = idx[k]!
  }
})

describe("class-incremental sequences", () => {
  it("one session holds every class (OST)", () => {
    const seq = oneSession(names)
    assert.equal(seq.kind, "OST")
    assert.equal(seq.sessions.length, 1)
    assert.deepEqual(seq.sessions[0]!.classes, [...Array(10).keys()])
  })

  it("shares classes out over sessions in a seeded or given order (MST)", () => {
    const seq = multiSession(names, 3, { seed: 10 })
    assert.equal(seq.kind, "MST")
    assert.deepEqual(seq.sessions.map((s) => s.classes.length), [4, 3, 3])
    assert.deepEqual([...seq.order].sort((a, b) => a - b), [...Array(10).keys()])
    assert.notDeepEqual(seq.order, [...Array(10).keys()])
    assert.deepEqual(multiSession(names, 3, { seed: 10 }).order, seq.order)
    assert.notDeepEqual(multiSession(names, 3, { seed: 11 }).order, seq.order)
    assert.deepEqual(seq.sessions[2]!.seen, seq.order)
    assert.deepEqual(seq.sessions[1]!.seen, seq.order.slice(0, 7))
    assert.deepEqual(seq.sessions[1]!.seenClassNames, seq.order.slice(0, 7).map((c) => `c${c}`))
    const given = classIncremental({ classNames: names, sessions: [2, 3], order: [9, 8, 1, 2, 3] })
    assert.deepEqual(given.sessions.map((s) => s.classNames), [["c9", "c8"], ["c1", "c2", "c3"]])
  })

  it("refuses orders and sizes that do not work", () => {
    assert.throws(() => classIncremental({ classNames: names, sessions: [5, 4] }), (e: any) => e._tag === "DataArgumentError" && e.field === "sessions")
    assert.throws(() => classIncremental({ classNames: names, sessions: 11 }), (e: any) => e._tag === "DataArgumentError")
    assert.throws(() => classIncremental({ classNames: names, sessions: 1, order: [1, 1] }), (e: any) => e.field === "order")
    assert.throws(() => classIncremental({ classNames: names, sessions: 1, order: [10] }), (e: any) => e.field === "order")
  })

  it("views a session in global, session or seen label space", async () => {
    const seq = classIncremental({ classNames: names, sessions: [3, 3, 4], order: [4, 0, 7, 2, 9, 5, 1, 3, 6, 8] })
    const g = sessionView(set, seq, 1)
    assert.deepEqual(g.classNames, names)
    assert.deepEqual(Array.from(g.labels), [2, 5, 9, 2, 5, 9, 2, 5, 9])
    const images = await g.read([...Array(g.size).keys()])
    assert.deepEqual(Array.from(images), [2, 5, 9, 12, 15, 19, 22, 25, 29])
    const s = sessionView(set, seq, 1, "session")
    assert.deepEqual(s.classNames, ["c2", "c9", "c5"])
    assert.deepEqual(Array.from(s.labels), [0, 2, 1, 0, 2, 1, 0, 2, 1])
    const seen = seenView(set, seq, 1, "seen")
    assert.deepEqual(seen.classNames, ["c4", "c0", "c7", "c2", "c9", "c5"])
    assert.equal(seen.size, 18)
    for (let i = 0; i < seen.size; i++) {
      const original = (await seen.get(i)).image[0]! % 10
      assert.equal(seen.classNames[seen.labels[i]!], `c${original}`)
    }
    assert.equal(seenView(set, seq, 2).size, 30)
    assert.throws(() => sessionView(set, seq, 3), (e: any) => e._tag === "DataArgumentError")
    assert.throws(() => seenView(set, seq, 0, "session" as any), (e: any) => e._tag === "DataArgumentError")
    const other = oneSession(["a", "b"])
    assert.throws(() => sessionView(set, other, 0), (e: any) => e._tag === "DataArgumentError")
  })
})

describe("data-set sequences", () => {
  const task = (name: string) => ({ name, train: set, test: set, classNames: names, templates: ["a photo of a {}."] })
  it("orders tasks and tracks seen and upcoming ones", () => {
    const steps = datasetSequence([task("a"), task("b"), task("c")], ["b", "c", "a"])
    assert.deepEqual(steps.map((s) => s.task.name), ["b", "c", "a"])
    assert.deepEqual(steps[1]!.seen.map((t) => t.name), ["b", "c"])
    assert.deepEqual(steps[1]!.upcoming.map((t) => t.name), ["a"])
    assert.deepEqual(datasetSequence([task("x"), task("y")]).map((s) => s.task.name), ["x", "y"])
  })
  it("refuses duplicate and unknown names", () => {
    assert.throws(() => datasetSequence([task("a"), task("a")]), (e: any) => e._tag === "DataArgumentError")
    assert.throws(() => datasetSequence([task("a")], ["z"]), (e: any) => e._tag === "DataArgumentError")
    assert.throws(() => datasetSequence([task("a"), task("b")], ["a", "a"]), (e: any) => e._tag === "DataArgumentError")
  })
})
