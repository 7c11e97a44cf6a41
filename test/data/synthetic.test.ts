import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { colourRgb, colours, type Colour, shapes } from "../../src/data/synthetic/attributes.js"
import { probePoint, shapeMask } from "../../src/data/synthetic/render.js"
import { syntheticSplit, worldProtocol } from "../../src/data/synthetic/world.js"
import { allValues } from "../../src/data/synthetic/attributes.js"

const small = { pretrainSize: 300, retrievalSize: 50, targetTrainPerClass: 5, targetTestPerClass: 3, zeroShotSize: 60 }
const range = (n: number) => Array.from({ length: n }, (_, i) => i)

const nearestColour = (rgb: ArrayLike<number>): Colour => {
  let best: Colour = colours[0]!
  let bestD = Infinity
  for (const c of colours) {
    const ref = colourRgb[c]
    const d = (ref[0] - rgb[0]!) ** 2 + (ref[1] - rgb[1]!) ** 2 + (ref[2] - rgb[2]!) ** 2
    if (d < bestD) {
      bestD = d
      best = c
    }
  }
  return best
}

describe("synthetic world", () => {
  it("is deterministic: same seed, same bytes and captions; another seed, other ones", async () => {
    const a = worldProtocol({ ...small, seed: 1 })
    const b = worldProtocol({ ...small, seed: 1 })
    const c = worldProtocol({ ...small, seed: 2 })
    const idx = range(40)
    assert.deepEqual(await a.pretrain.read(idx), await b.pretrain.read(idx))
    assert.deepEqual(a.pretrain.captions, b.pretrain.captions)
    assert.deepEqual(await a.target.test.read(idx.slice(0, 10)), await b.target.test.read(idx.slice(0, 10)))
    assert.notDeepEqual(await a.pretrain.read(idx), await c.pretrain.read(idx))
    assert.notDeepEqual(a.pretrain.captions, c.pretrain.captions)
    // Splits of one world differ from each other.
    assert.notDeepEqual(await a.pretrain.read(idx), await a.retrieval.read(idx))
  })

  it("gives random access: one image equals its slice of a batch", async () => {
    const w = worldProtocol({ ...small, seed: 5 })
    const per = 32 * 32 * 3
    const batch = await w.pretrain.read(range(20))
    const one = await w.pretrain.read([13])
    assert.deepEqual(one, batch.subarray(13 * per, 14 * per))
  })

  it("draws each main object where its caption says, in its caption's colour", async () => {
    const w = worldProtocol({ ...small, seed: 3, imageSize: 32 })
    const split = w.splits.pretrain
    const imgs = await w.pretrain.read(range(split.size))
    let withSecond = 0
    for (let i = 0; i < split.size; i++) {
      const s = split.scene(i)
      const o = s.objects[0]!
      if (s.objects.length > 1) withSecond++
      const [x, y] = probePoint(o, 32)
      assert.ok(x >= 0 && x < 32 && y >= 0 && y < 32, `probe of image ${i} inside the image`)
      const p = i * 32 * 32 * 3 + (y * 32 + x) * 3
      assert.equal(nearestColour(imgs.subarray(p, p + 3)), o.colour, `image ${i}: pixel at the ${o.shape} is ${o.colour}`)
      // Position: the centre lies in the named part of the image.
      if (o.position === "left") assert.ok(o.cx < 14)
      if (o.position === "right") assert.ok(o.cx > 17)
      if (o.position === "top") assert.ok(o.cy < 14)
      if (o.position === "bottom") assert.ok(o.cy > 17)
      if (o.position === "center") assert.ok(Math.abs(o.cx - 15.5) <= 2 && Math.abs(o.cy - 15.5) <= 2)
      // Every caption names only attributes of the scene.
      for (const cap of w.pretrain.captions[i]!) {
        const words = new Set(cap.replace(/[.,]/g, "").split(" "))
        for (const c of colours) if (words.has(c)) assert.ok(s.objects.some((q) => q.colour === c), `${cap}: ${c}`)
        for (const sh of shapes) if (words.has(sh)) assert.ok(s.objects.some((q) => q.shape === sh), `${cap}: ${sh}`)
        const where = o.position === "center" ? "center" : o.position
        assert.ok([o.colour, o.shape, o.size, where, s.background].some((x) => words.has(x)), `${cap} describes the main object`)
        if (!words.has(o.shape)) assert.ok(!shapes.some((sh) => words.has(sh)) || s.objects.length > 1, `${cap}: names no other shape`)
      }
      assert.equal(new Set(w.pretrain.captions[i]).size, 3, "three distinct captions")
    }
    assert.ok(withSecond > 30 && withSecond < 120, `about a quarter have a second object (${withSecond})`)
  })

  it("labels any attribute and combination consistently with the scenes", () => {
    const split = syntheticSplit({ name: "t", seed: 9, size: 200, distribution: { values: allValues, secondObjectRate: 0.3 } })
    const byColour = split.labeled("colour")
    assert.deepEqual(byColour.classNames, colours)
    const combo = split.labeled(["shape", "colour", "size"])
    assert.equal(combo.classNames.length, 2 * 10 * 14)
    assert.equal(combo.classNames[0], "small red circle")
    const bgPos = split.labeled(["background", "position"])
    assert.equal(bgPos.classNames[0], "on the left on a plain background")
    for (let i = 0; i < split.size; i++) {
      const o = split.scene(i).objects[0]!
      assert.equal(byColour.classNames[byColour.labels[i]!], o.colour)
      assert.equal(combo.classNames[combo.labels[i]!], `${o.size} ${o.colour} ${o.shape}`)
    }
  })

  it("lays out the paper's protocol: unseen target background, balanced classes, held-out splits", () => {
    const w = worldProtocol({ ...small, seed: 4, heldOutShapes: ["hexagon"] })
    assert.equal(w.target.classNames.length, 8)
    assert.deepEqual(w.target.classNames, shapes.slice(0, 8))
    assert.equal(w.target.train.size, 40)
    const counts = new Array(8).fill(0)
    for (const l of w.target.train.labels) counts[l]++
    assert.deepEqual(counts, new Array(8).fill(5))
    for (let i = 0; i < w.splits.targetTrain.size; i++) {
      assert.equal(w.splits.targetTrain.scene(i).background, "wavy")
      assert.equal(w.splits.targetTrain.scene(i).objects[0]!.size, "large")
    }
    for (let i = 0; i < w.splits.pretrain.size; i++) {
      const s = w.splits.pretrain.scene(i)
      assert.notEqual(s.background, "wavy")
      assert.ok(s.objects.every((o) => o.shape !== "hexagon"))
    }
    for (const caps of w.pretrain.captions) for (const c of caps) assert.ok(!c.includes("wavy") && !c.includes("hexagon"), c)
    assert.deepEqual(w.zeroShot.map((t) => t.name), ["colour", "size", "position", "background", "shape", "size+colour", "colour+position"])
    const sc = w.zeroShot[5]!
    assert.equal(sc.classNames.length, 20)
    assert.equal(sc.classNames[sc.test.labels[0]!], `${w.splits.zeroShot.scene(0).objects[0]!.size} ${w.splits.zeroShot.scene(0).objects[0]!.colour}`)
    const cp = w.zeroShot[6]!
    assert.equal(cp.classNames[0], "red on the left")
    assert.equal(cp.templates[0]!.replace("{}", cp.classNames[0]!), "something red on the left.")
    // Target shape names are withheld from captions; the zero-shot shape task uses the named ones.
    const targets = new Set<string>(shapes.slice(0, 8))
    for (const caps of [...w.pretrain.captions, ...w.retrieval.captions]) {
      for (const c of caps) for (const word of c.replace(/[.,]/g, "").split(" ")) assert.ok(!targets.has(word), c)
    }
    assert.ok(range(w.splits.pretrain.size).some((i) => targets.has(w.splits.pretrain.scene(i).objects[0]!.shape)), "target shapes are in pretraining images")
    assert.deepEqual(w.zeroShot[4]!.classNames, ["crescent", "arrow", "semicircle", "bowtie", "frame"])
    for (let i = 0; i < w.zeroShot[4]!.test.size; i++) {
      const l = w.zeroShot[4]!.test.labels[i]!
      assert.equal(w.zeroShot[4]!.classNames[l], w.splits.zeroShotShape.scene(i).objects[0]!.shape)
    }
    const named = worldProtocol({ ...small, seed: 4, targetNameRate: 1 })
    assert.ok(named.pretrain.captions.some((caps) => caps.some((c) => c.split(" ").some((x) => targets.has(x)))))
    const colour = w.zeroShot[0]!
    assert.deepEqual(colour.classNames, colours)
    assert.ok(colour.templates.every((t) => t.includes("{}")))
    const zc = new Array(10).fill(0)
    for (const l of colour.test.labels) zc[l]++
    assert.deepEqual(zc, new Array(10).fill(6))
    assert.ok(!w.zeroShot[3]!.classNames.includes("wavy"))
    assert.equal(w.retrieval.size, 50)
    assert.ok(w.retrieval.captions.every((c) => c.length === 5 && new Set(c).size === 5))
  })

  it("makes shapes distinct at every radius it uses", () => {
    for (const r of [4, 5, 9, 10]) {
      const masks = shapes.map((s) => Array.from(shapeMask(s, r).bits).join(""))
      assert.equal(new Set(masks).size, shapes.length, `radius ${r}`)
      for (const s of shapes) {
        const m = shapeMask(s, r)
        const [px, py] = m.probe
        assert.equal(m.bits[(py + r) * m.side + px + r], 1, `${s} probe is inside`)
      }
    }
  })

  it("scales to other image sizes and rejects impossible options", async () => {
    const w = worldProtocol({ ...small, imageSize: 64 })
    assert.equal((await w.pretrain.read([0])).length, 64 * 64 * 3)
    assert.throws(() => worldProtocol({ imageSize: 4 }), (e: any) => e._tag === "DataArgumentError" && e.field === "imageSize")
    assert.throws(() => worldProtocol({ targetShapes: ["circle"] }), (e: any) => e._tag === "DataArgumentError")
  })
})
