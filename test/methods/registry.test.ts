// The method registry: built-in methods' parameters, defaults and needs as the stages used them
// before methods were values (the expected values below are that behaviour, written out), IMM's
// merge as a finish hook, and defineMethod's naming rules.
import assert from "node:assert/strict"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { pathToFileURL } from "node:url"
import { Either, Schema } from "effect"
import { tf } from "../../src/backend/tf.js"
import { defaultsOf } from "../../src/methods/definition.js"
import { immMethod } from "../../src/methods/imm.js"
import { lwfDefaults } from "../../src/methods/lwf.js"
import { lwfVrZsclDefaults } from "../../src/methods/lwfvrZscl.js"
import { ft, type SessionSetup } from "../../src/methods/method.js"
import { GeodlOptions, IcarlOptions, RkrOptions, ZsclOptions } from "../../src/methods/options.js"
import { methodNames } from "../../src/methods/registry.js"
import { vrlwfDefaults } from "../../src/methods/vrlwf.js"
import { decodeMethod, defineMethod, makeMethod, MethodParams, teacherImageSets } from "../../src/stages/methodParams.js"
import { values } from "./helpers.js"

const roundTrip = (p: unknown) => Schema.encodeSync(MethodParams)(Schema.decodeUnknownSync(MethodParams)(p))

test("built-in method parameters encode as before: only decoded defaults are filled in", () => {
  assert.deepEqual(roundTrip({ name: "FT" }), { name: "FT" })
  assert.deepEqual(roundTrip({ name: "LwF" }), { name: "LwF" })
  assert.deepEqual(roundTrip({ name: "VR-LwF", alpha: 0.5 }), { name: "VR-LwF", alpha: 0.5, vocabulary: "random" })
  assert.deepEqual(roundTrip({ name: "ZSCL", averageEvery: 10 }), { name: "ZSCL", averageEvery: 10, referenceSize: 1000 })
  assert.deepEqual(roundTrip({ name: "IMM" }), { name: "IMM", alpha: 0.5 })
  for (const name of ["GEM", "A-GEM", "iCaRL"]) assert.deepEqual(roundTrip({ name }), { name, memoryPerClass: 10 })
  assert.deepEqual(roundTrip({ name: "RKR", rank: 2 }), { name: "RKR", rank: 2 })
  assert.throws(() => roundTrip({ name: "LwF", alpha: -1 }))
  assert.deepEqual(methodNames().slice(0, 11), ["FT", "LwF", "VR-LwF", "LwF-VR (ZSCL)", "ZSCL", "IMM", "GEM", "A-GEM", "iCaRL", "GeoDL", "RKR"])
})

test("each option's default is declared once, on its schema", () => {
  assert.deepEqual(lwfDefaults, { alpha: 1, temperature: 1, firstSession: 1 })
  assert.deepEqual(vrlwfDefaults, { alpha: 0.5, count: 100, length: 8, temperature: 1, vocabulary: { kind: "random" }, lwfFirstSession: 1 })
  assert.deepEqual(lwfVrZsclDefaults, { sequences: 1000, length: 8, temperature: 2, weight: 1, textsPerStep: 1000 })
  assert.deepEqual(defaultsOf(ZsclOptions), { weight: 1, temperature: 2, averageEvery: 100, textsPerStep: 1000 })
  assert.deepEqual(defaultsOf(IcarlOptions), { distillWeight: 1, temperature: 2 })
  assert.deepEqual(defaultsOf(GeodlOptions), { weight: 1, rank: 8, steps: 5, firstSession: 1 })
  assert.deepEqual(defaultsOf(RkrOptions), { rank: 1, initStd: 0.01 })
})

test("the teacher's image sets each built-in method reads, per session", () => {
  const sets = (method: Record<string, unknown>, session: number) => teacherImageSets(Schema.decodeUnknownSync(MethodParams)(method), session)
  for (const name of ["FT", "IMM", "GEM", "A-GEM", "RKR"]) for (const s of [0, 1]) assert.equal(sets({ name }, s), undefined, name)
  for (const name of ["LwF", "GeoDL"]) {
    assert.equal(sets({ name }, 0), undefined)
    assert.deepEqual(sets({ name }, 1), { teacher: "model", session: 1 })
  }
  for (const name of ["VR-LwF", "LwF-VR (ZSCL)"]) assert.deepEqual(sets({ name }, 0), { teacher: "model", session: 0 })
  assert.equal(sets({ name: "iCaRL" }, 0), undefined)
  assert.deepEqual(sets({ name: "iCaRL", memoryPerClass: 3 }, 2), { teacher: "model", memory: { session: 2, perClass: 3 } })
  assert.deepEqual(sets({ name: "ZSCL", referenceSize: 50 }, 1), { teacher: "initial", reference: { size: 50 } })
})

test("a replay method trains as plain fine-tuning before it has anything to replay", async () => {
  assert.equal(await makeMethod({ name: "GEM" }, {}, 0), ft)
  await assert.rejects(makeMethod({ name: "GEM" }, {}, 1), /method GEM needs a replay memory/)
})

test("IMM merges the session's model with the weights it started from in its finish hook", () => {
  const v = tf.variable(tf.tensor1d([2, 4]))
  const model = {
    getWeights: () => new Map<string, tf.Tensor>([["w", tf.clone(v)]]),
    setWeights: (w: ReadonlyMap<string, tf.Tensor>) => v.assign(w.get("w") as tf.Tensor1D)
  }
  const session = immMethod(0.25).setup({ model } as unknown as SessionSetup)
  v.assign(tf.tensor1d([4, 0])) // what the session's training did
  session.finish!()
  assert.deepEqual(values(v), [2.5, 3]) // 0.75 * [2, 4] + 0.25 * [4, 0]
  session.dispose()
})

test("defineMethod: a free name is registered and decodes; built-in and taken names are refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-registry-"))
  const a = join(dir, "a.ts")
  const b = join(dir, "b.ts")
  writeFileSync(a, "export {}\n")
  writeFileSync(b, "export {}\n")
  const options = Schema.Struct({ beta: Schema.optionalWith(Schema.Number, { default: () => 2 }) })
  const custom = defineMethod({ module: pathToFileURL(a).href, name: "Test-Reg", options, make: () => ft })
  assert.deepEqual(custom.sources.map((u) => u.href), [pathToFileURL(a).href])
  assert.deepEqual(custom({ beta: 3 }), { name: "Test-Reg", beta: 3 })
  assert.deepEqual(Either.getOrThrow(decodeMethod({ name: "Test-Reg" })), { name: "Test-Reg", beta: 2 })
  assert.match(String((decodeMethod({ name: "Nope" }) as { left?: string }).left), /unknown method 'Nope' \(known: FT, LwF/)
  // A re-import of the same module (a cache-busting query) replaces its method.
  defineMethod({ module: `${pathToFileURL(a).href}?t=2`, name: "Test-Reg", options, make: () => ft })
  assert.throws(() => defineMethod({ module: pathToFileURL(b).href, name: "Test-Reg", options, make: () => ft }), /already defined by file:.*a\.ts/)
  assert.throws(() => defineMethod({ module: pathToFileURL(b).href, name: "VR-LwF", options, make: () => ft }), /built in/)
  rmSync(dir, { recursive: true, force: true })
})
