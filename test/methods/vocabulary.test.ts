import { test } from "node:test"
import assert from "node:assert/strict"
import { tf } from "../../src/backend/tf.js"
import { makeRng } from "../../src/random.js"
import { drawPseudoClasses, embedVocabulary, END_TOKEN, PSEUDO_TOKEN_LIMIT, START_TOKEN, wordVocabulary } from "../../src/methods/vocabulary.js"
import { classPrompt, tinyClip, values } from "./helpers.js"

test("pseudo-classes are [START, 8 ids in [0, 49405), END] zero-padded, reproducible from the seed", () => {
  const rows = drawPseudoClasses(makeRng(10), { count: 100, length: 8, contextLength: 77 })
  assert.equal(rows.length, 100)
  for (const r of rows) {
    assert.equal(r.length, 77)
    assert.equal(r[0], START_TOKEN)
    assert.equal(r[9], END_TOKEN)
    assert.ok(r.slice(1, 9).every((t) => Number.isInteger(t) && t >= 0 && t < PSEUDO_TOKEN_LIMIT))
    assert.ok(r.slice(10).every((t) => t === 0))
  }
  assert.deepEqual(drawPseudoClasses(makeRng(10), { count: 100, length: 8, contextLength: 77 }), rows)
  assert.notDeepEqual(drawPseudoClasses(makeRng(11), { count: 100, length: 8, contextLength: 77 }), rows)
  // tokens spread over the range (not stuck at small ids)
  const all = rows.flatMap((r) => r.slice(1, 9))
  assert.ok(Math.max(...all) > 40000 && Math.min(...all) < 10000)
})

test("pseudo-class length must fit the context", () => {
  assert.throws(() => drawPseudoClasses(makeRng(1), { count: 2, length: 11, contextLength: 12 }), /option 'length' must be in \[1, 10\]/)
})

test("wordVocabulary drops duplicates and blanks before tokenising", () => {
  const seen: string[][] = []
  const ids = wordVocabulary(["cat", " dog", "cat", "", "dog "], (t) => { seen.push(t); return t.map((w) => [START_TOKEN, w.length, END_TOKEN]) })
  assert.deepEqual(seen, [["cat", "dog"]])
  assert.deepEqual(ids, [[START_TOKEN, 3, END_TOKEN], [START_TOKEN, 3, END_TOKEN]])
})

test("embedVocabulary in batches equals one big batch, and frees its temporaries", () => {
  const model = tinyClip(2)
  const ids = Array.from({ length: 7 }, (_, c) => classPrompt(c))
  const before = tf.memory().numTensors
  const a = embedVocabulary(model, ids, 3)
  const b = embedVocabulary(model, ids, 100)
  assert.equal(tf.memory().numTensors, before + 2)
  assert.deepEqual(a.shape, [7, 8])
  assert.ok(values(a).every((x, i) => Math.abs(x - values(b)[i]) < 1e-5))
  a.dispose()
  b.dispose()
  model.dispose()
})

test("promptClassNames gathers class names across prompt sets, minus excluded ones", async () => {
  const { promptClassNames } = await import("../../src/methods/vocabulary.js")
  const prompts = {
    A: { classes: ["cat", "dog"], templates: ["a {}"] },
    B: { classes: ["dog", "car"], templates: ["a {}"] },
    C: { classes: ["plane"], templates: ["a {}"] },
  }
  assert.deepEqual(promptClassNames(prompts), ["cat", "dog", "car", "plane"])
  assert.deepEqual(promptClassNames(prompts, ["A"]), ["dog", "car", "plane"])
})
