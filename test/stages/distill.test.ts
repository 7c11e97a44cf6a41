// The distill stage and the fine-tuning stages that read it: a session trained on the teacher's
// features computed once ends with the weights of one that runs the teacher at every step; a teacher
// input of another model, data set or image set is refused; the studies wire one distill per
// teacher and image set, shared across method options.
import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import { test } from "node:test"
import { Effect, Either, Schema } from "effect"
import { decodeTensors, encodeTensors } from "../../src/cache/codec.js"
import { clipFromSafetensors, createClip } from "../../src/clip/model.js"
import type { CheckpointInput, TensorSet } from "../../src/dsl/Output.js"
import type { StageContext } from "../../src/dsl/Stage.js"
import { resolve } from "../../src/scheduler/resolve.js"
import { distill } from "../../src/stages/distill.js"
import { finetune, finetuneWithTeacher, finetuneWithVocabulary } from "../../src/stages/finetune.js"
import { tinyConfig } from "../methods/helpers.js"
import ablation from "../../pipelines/ablation-vrlwf.js"
import quickstart from "../../pipelines/quickstart.js"

const data = { source: "synthetic", seed: 3, imageSize: 16, pretrainSize: 40, pretrainCaptions: 1, retrievalSize: 8, retrievalCaptions: 1, targetTrainPerClass: 5, targetTestPerClass: 2, zeroShotSize: 10 }
const sessions = { count: 2 }

const ctx = (stage: string): StageContext => ({ stage, key: "k", backend: undefined, signal: new AbortController().signal, progress: () => {}, log: () => {} })

const checkpointOf = (bytes: Uint8Array): CheckpointInput => ({
  hash: createHash("sha256").update(bytes).digest("hex"),
  bytes: async () => bytes,
  stream: async function* () {
    yield bytes
  },
  tensors: () => Effect.runPromise(decodeTensors(bytes))
})

const start = checkpointOf(createClip(tinyConfig, 5).toSafetensors())
const initial = checkpointOf(createClip(tinyConfig, 8).toSafetensors())

type AnyStage = { readonly name: string; readonly params: Schema.Schema<any, any, never>; readonly run: (args: never) => unknown }

const runStage = async (def: AnyStage, params: unknown, inputs: Record<string, unknown>, name = def.name): Promise<unknown> =>
  def.run({ params: Schema.decodeUnknownSync(def.params)(params), inputs, seed: 4, ctx: ctx(name) } as never)

/** A tensor set as the cache hands it to the next stage (encoded, then decoded). */
const throughCache = async (set: unknown): Promise<TensorSet> => Effect.runPromise(decodeTensors(await Effect.runPromise(encodeTensors(set as TensorSet))))

/** A checkpoint stage's output (bytes, or the stream a stage returns) as its model's weights. */
const weights = async (output: unknown): Promise<Map<string, Float32Array>> => {
  const parts: Uint8Array[] = []
  if (output instanceof Uint8Array) parts.push(output)
  else for await (const p of output as AsyncIterable<Uint8Array>) parts.push(p)
  const m = clipFromSafetensors(new Uint8Array(Buffer.concat(parts)))
  const out = new Map([...m.params].map(([k, v]) => [k, v.dataSync() as Float32Array] as const))
  m.dispose()
  return out
}

const largestDifference = (a: Map<string, Float32Array>, b: Map<string, Float32Array>): number => {
  assert.deepEqual([...a.keys()], [...b.keys()])
  let worst = 0
  for (const [k, x] of a) {
    const y = b.get(k)!
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!))
  }
  return worst
}

const train = { epochs: 1, batchSize: 4, learningRate: 3e-3, maxSteps: 3 }

const cases = [
  // Session 2: VR-LwF adds the LwF term; 20% held out, so the session trains on a subset of the distilled images.
  { method: { name: "VR-LwF", count: 6 }, session: 1, train: { ...train, validation: 0.2 }, teacher: start, sets: { sessions, session: 1 } },
  { method: { name: "iCaRL", memoryPerClass: 2 }, session: 1, train, teacher: start, sets: { sessions, memory: { session: 1, perClass: 2 } } },
  { method: { name: "ZSCL", referenceSize: 12, textsPerStep: 5, averageEvery: 2 }, session: 0, train, teacher: initial, sets: { reference: { size: 12 } } }
] as const

for (const c of cases) {
  test(`${c.method.name}: distill + finetuneWithTeacher ends with the weights of finetune, which runs the teacher every step`, async () => {
    const params = { data, sessions, session: c.session, method: c.method, train: c.train }
    const today = await runStage(finetune, params, { model: start, initial })
    const features = await throughCache(await runStage(distill, { data, ...c.sets }, { model: c.teacher }))
    const once = await runStage(finetuneWithTeacher, params, { model: start, initial, teacher: features })
    const worst = largestDifference(await weights(once), await weights(today))
    assert.ok(worst <= 1e-5, `largest weight difference ${worst}`)
    if (c.method.name === "VR-LwF") {
      // The comparison can tell: another teacher's features (passed off as this one's) train differently.
      const other = await throughCache(await runStage(distill, { data, ...c.sets }, { model: initial }))
      const forged = { ...other, teacher: features["teacher"]! }
      const wrong = await runStage(finetuneWithTeacher, params, { model: start, initial, teacher: forged })
      assert.ok(largestDifference(await weights(wrong), await weights(today)) > 1e-4)
    }
  })
}

test("distill writes the teacher, the data, the scale and each set's images and features", async () => {
  const out = await throughCache(await runStage(distill, { data, sessions, session: 0, reference: { size: 7 } }, { model: start }))
  assert.deepEqual(Object.keys(out).sort(), ["data", "reference.features", "reference.indices", "reference.texts", "scale", "session.features", "session.indices", "teacher"])
  assert.equal(new TextDecoder().decode(out["teacher"]!.data as Uint8Array), start.hash)
  assert.deepEqual(out["session.features"]!.shape, [20, tinyConfig.embedDim])
  assert.deepEqual(out["reference.features"]!.shape, [7, tinyConfig.embedDim])
  assert.deepEqual(out["reference.texts"]!.shape, [7, tinyConfig.embedDim])
  assert.deepEqual(out["scale"]!.shape, [])
  assert.throws(() => Schema.decodeUnknownSync(distill.params)({ data }), /names no image set/)
})

test("a teacher input that does not fit the session is refused, naming the stage and what is wrong", async () => {
  const vr = { data, sessions, session: 1, method: { name: "VR-LwF", count: 4 }, train }
  const ofInitial = await throughCache(await runStage(distill, { data, sessions, session: 1 }, { model: initial }))
  await assert.rejects(runStage(finetuneWithTeacher, vr, { model: start, initial, teacher: ofInitial }, "finetune[VR-LwF] session 2"), (e: Error) => {
    assert.equal((e as { _tag?: string })._tag, "TeacherInputError")
    assert.match(e.message, new RegExp(`^finetune\\[VR-LwF\\] session 2: input 'teacher': holds the features of checkpoint ${initial.hash.slice(0, 12)}, but this session's teacher is its 'model' input \\(${start.hash.slice(0, 12)}\\)`))
    return true
  })
  const session1 = await throughCache(await runStage(distill, { data, sessions, session: 0 }, { model: start }))
  await assert.rejects(runStage(finetuneWithTeacher, vr, { model: start, initial, teacher: session1 }), /has no features of session image \d+ \(its 'session' parameters differ/)
  await assert.rejects(
    runStage(finetuneWithTeacher, { ...vr, method: { name: "iCaRL" } }, { model: start, initial, teacher: session1 }),
    /input 'teacher': has no memory images \(give the distill stage 'memory'\)/
  )
  await assert.rejects(runStage(finetuneWithTeacher, { ...vr, method: { name: "FT" } }, { model: start, initial, teacher: session1 }), /FT runs no teacher on images in session 2: use the 'finetune' stage/)
  const otherData = await throughCache(await runStage(distill, { data: { ...data, retrievalSize: 9 }, sessions, session: 1 }, { model: start }))
  await assert.rejects(runStage(finetuneWithTeacher, vr, { model: start, initial, teacher: otherData }), /was computed from other data than this stage's 'data' parameters/)
})

const kinds = (p: typeof quickstart) => {
  const dag = Either.getOrThrow(resolve(p, "p.ts"))
  return { dag, of: (kind: string) => dag.nodes.filter((n) => n.def.name === kind) }
}

test("the quickstart distils once per teacher and image set: LwF session 2, VR-LwF sessions 1 and 2, ZSCL's reference pairs once", () => {
  const { dag, of } = kinds(quickstart)
  const names = of("distill").map((n) => n.name).sort()
  assert.deepEqual(names, ["distill[LwF] session 2", "distill[VR-LwF] session 1", "distill[VR-LwF] session 2", "distill[ZSCL] reference"])
  const zscl = dag.byName.get("distill[ZSCL] reference")!
  const readers = dag.dependents[zscl]!.map((i) => dag.nodes[i]!.name).sort()
  assert.deepEqual(readers, ["finetune[ZSCL] session 1", "finetune[ZSCL] session 2"])
  assert.deepEqual(dag.nodes[zscl]!.deps, [dag.byName.get("pretrain")!], "ZSCL's teacher is the pretrained model")
  assert.equal(dag.nodes[dag.byName.get("finetune[FT] session 1")!]!.def.name, "finetune")
  assert.equal(dag.nodes[dag.byName.get("finetune[LwF] session 1")!]!.def.name, "finetune", "LwF distils from session 2 on")
})

test("the VR-LwF ablation computes the teacher's features once for every alpha, vocabulary and tuned part", () => {
  const { dag, of } = kinds(ablation)
  const [d, ...more] = of("distill")
  assert.equal(more.length, 0)
  const readers = dag.dependents[d!.index]!.map((i) => dag.nodes[i]!.def.name)
  assert.equal(readers.length, 32)
  assert.deepEqual(new Set(readers), new Set([finetuneWithTeacher.name, finetuneWithVocabulary.name]))
})
