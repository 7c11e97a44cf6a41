// `--set`, `--force` and `--only` targets (a stage kind, a name given in the pipeline, an exact
// instance), what `plan` says each touched, errors that list what exists; and merged sweep
// instances named by the dimensions they share. On the quickstart and on a sweep fixture.
import assert from "node:assert/strict"
import { join, resolve } from "node:path"
import { after, describe, it } from "node:test"
import { Either } from "effect"
import { parseOverride } from "../../src/scheduler/resolve.js"
import { cli, fixture, tempDir } from "../engine/helpers.js"

const tmp = tempDir()
after(() => tmp.cleanup())
let n = 0
const freshCache = () => join(tmp.dir, `c${++n}`, "cache.sqlite")
const QUICKSTART = resolve("pipelines/quickstart.ts")
const SWEEP = fixture("sweep.ts")

/** `plan --json` of a file: stage -> its line. */
const plan = async (file: string, ...args: Array<string>) => {
  const r = await cli("plan", file, "--json", "--cache", freshCache(), ...args)
  assert.equal(r.code, 0, r.err)
  return new Map<string, any>(r.json.map((e) => [e.stage, e]))
}
/** The stages a `plan --json` marks as touched by `--set`. */
const touched = (p: Map<string, any>) => [...p.values()].filter((e) => e.overrides !== undefined).map((e) => e.stage)
const kindOf = async (file: string) => new Map<string, string>((await cli("dag", file, "--json")).json.map((e) => [e.stage, e.kind]))
const paramsOf = async (file: string, stage: string, ...set: Array<string>) => {
  const r = await cli("why", file, stage, "--json", "--cache", freshCache(), ...set.flatMap((s) => ["--set", s]))
  assert.equal(r.code, 0, r.err)
  return r.json[0].preimage.params
}

describe("parseOverride", () => {
  it("reads quoted and unquoted targets, dots and '=' inside sweep labels, values as JSON", () => {
    const q = Either.getOrThrow(parseOverride("'finetune[FT] session 1'.train.epochs=1"))
    assert.deepEqual([q.stage, q.path, q.value], ["finetune[FT] session 1", ["train", "epochs"], 1])
    const u = Either.getOrThrow(parseOverride("finetune[FT] session 1.train.epochs=1"))
    // Longest target first; the shorter readings are alternatives.
    assert.deepEqual([u.stage, u.path], ["finetune[FT] session 1.train", ["epochs"]])
    assert.deepEqual(u.alternatives, [{ stage: "finetune[FT] session 1", path: ["train", "epochs"] }])
    const s = Either.getOrThrow(parseOverride("square[k=0.5,v=a=b].k=[1,2]"))
    assert.deepEqual([s.stage, s.path, s.value], ["square[k=0.5,v=a=b]", ["k"], [1, 2]])
    assert.equal(Either.getOrThrow(parseOverride("a.b=x]y")).value, "x]y")
    for (const bad of ["nodot=1", "a.b", "'a'=1", "'a.b=1", ".b=1", "a.=1"]) assert.ok(Either.isLeft(parseOverride(bad)), bad)
  })
})

describe("--set / --force / --only on the quickstart", () => {
  it("--set KIND.param applies to every instance of the kind, and plan says which", async () => {
    const kinds = await kindOf(QUICKSTART)
    const of = (k: string) => [...kinds].filter(([, v]) => v === k).map(([s]) => s)
    // Fine-tuning with a teacher's distilled features is a kind of its own.
    assert.equal(of("finetune").length, 3)
    assert.equal(of("finetuneWithTeacher").length, 5)
    assert.equal(of("evaluate").length, 10)
    const p = await plan(QUICKSTART, "--set", "finetune.train.epochs=1")
    assert.deepEqual(touched(p), of("finetune"))
    assert.deepEqual(p.get("finetune[LwF] session 1").overrides, ["finetune.train.epochs=1"])
    const t = await plan(QUICKSTART, "--set", "finetuneWithTeacher.train.epochs=1")
    assert.deepEqual(touched(t), of("finetuneWithTeacher"))
    assert.deepEqual(t.get("finetune[ZSCL] session 2").overrides, ["finetuneWithTeacher.train.epochs=1"])
    assert.equal((await paramsOf(QUICKSTART, "finetune[ZSCL] session 2", "finetuneWithTeacher.train.epochs=1")).train.epochs, 1)
    const e = await plan(QUICKSTART, "--set", "evaluate.batchSize=64")
    assert.deepEqual(touched(e), of("evaluate"))
    assert.equal((await paramsOf(QUICKSTART, "evaluate[WiSE-FT] session 2", "evaluate.batchSize=64")).batchSize, 64)
    const text = await cli("plan", QUICKSTART, "--cache", freshCache(), "--set", "evaluate.batchSize=64")
    assert.match(text.out, /^--set evaluate\.batchSize=64 → 10 instances: evaluate\[pretrained\], evaluate\[FT\] session 1, /)
  })

  it("--set 'INSTANCE'.param applies to that instance only (quoted or not); later overrides win", async () => {
    for (const arg of ["'finetune[FT] session 1'.train.epochs=2", "finetune[FT] session 1.train.epochs=2"]) {
      const p = await plan(QUICKSTART, "--set", arg)
      assert.deepEqual(touched(p), ["finetune[FT] session 1"])
      assert.equal((await paramsOf(QUICKSTART, "finetune[FT] session 1", arg)).train.epochs, 2)
    }
    const both = ["finetune.train.epochs=1", "'finetune[FT] session 1'.train.epochs=2"]
    assert.equal((await paramsOf(QUICKSTART, "finetune[FT] session 1", ...both)).train.epochs, 2)
    assert.equal((await paramsOf(QUICKSTART, "finetune[FT] session 2", ...both)).train.epochs, 1)
  })

  it("an override that names nothing: exit 2, the nearest name, the kinds and the instances", async () => {
    const cache = freshCache()
    const r = await cli("plan", QUICKSTART, "--cache", cache, "--set", "finetun.train.epochs=1")
    assert.equal(r.code, 2)
    assert.match(r.err, /--set finetun\.train\.epochs=1: no stage kind, stage name or instance named 'finetun'/)
    assert.match(r.err, /did you mean 'finetune'\?/)
    assert.match(r.err, /stage kinds \(every instance\): pretrain, evaluate, finetune, distill, finetuneWithTeacher, interpolate, report/)
    assert.match(r.err, /instances: pretrain, evaluate\[pretrained\], finetune\[FT\] session 1, /)
    for (const opt of ["--force", "--only"]) {
      const f = await cli("plan", QUICKSTART, "--cache", cache, opt, "evaluat")
      assert.equal(f.code, 2)
      assert.match(f.err, new RegExp(`${opt} evaluat: no stage kind, stage name or instance named 'evaluat'\\n  did you mean 'evaluate'\\?`))
    }
  })

  it("--force and --only take a kind or an exact instance", async () => {
    const forcedOf = (p: Map<string, any>) => [...p.values()].filter((e) => e.reasons.includes("forced (--force)")).map((e) => e.stage)
    const f = await plan(QUICKSTART, "--force", "interpolate")
    assert.deepEqual(forcedOf(f), ["interpolate[WiSE-FT]"])
    const g = await plan(QUICKSTART, "--force", "'finetune[LwF] session 2'")
    assert.deepEqual(forcedOf(g), ["finetune[LwF] session 2"])
    assert.ok(g.get("evaluate[LwF] session 2").reasons.includes("forced: depends on a --force stage"))
    const k = await plan(QUICKSTART, "--force", "finetune")
    assert.equal(forcedOf(k).length, 3)
    const o = await plan(QUICKSTART, "--only", "evaluate[FT] session 2")
    assert.deepEqual([...o.keys()], ["pretrain", "finetune[FT] session 1", "finetune[FT] session 2", "evaluate[FT] session 2"])
    const ok = await plan(QUICKSTART, "--only", "interpolate")
    assert.deepEqual([...ok.keys()].sort(), ["finetune[FT] session 1", "finetune[FT] session 2", "interpolate[WiSE-FT]", "pretrain"])
    const text = await cli("plan", QUICKSTART, "--cache", freshCache(), "--only", "interpolate", "--force", "pretrain")
    assert.match(text.out, /^--force pretrain → 1 instance: pretrain \(and what depends on them\)\n--only interpolate → 1 instance: interpolate\[WiSE-FT\] \(and what they need\)\n/)
  })
})

describe("--set / --force / --only on a sweep", () => {
  it("a given name applies to all its sweep instances, a kind to every instance, an instance to itself", async () => {
    // `train` is given in the sweep body: all 8 points. Set alike, they merge per `part` (their input).
    const t = await plan(SWEEP, "--set", "train.k=5")
    assert.deepEqual(touched(t), ["train[part=all]", "train[part=image]"])
    // A kind: `embed` is declared as `embedVocabulary`; set alike, the two merge into one.
    const e = await plan(SWEEP, "--set", "embed.dim=5")
    assert.deepEqual(touched(e), ["embedVocabulary"])
    const i = await plan(SWEEP, "--set", "train[alpha=2,vocabulary=words,part=image].k=9")
    assert.deepEqual(touched(i), ["train[alpha=2,vocabulary=words,part=image]"])
    assert.equal((await paramsOf(SWEEP, "train[alpha=2,vocabulary=words,part=image]", "'train[alpha=2,vocabulary=words,part=image]'.k=9")).k, 9)
    const bad = await cli("plan", SWEEP, "--cache", freshCache(), "--set", "trian.k=1")
    assert.equal(bad.code, 2)
    assert.match(bad.err, /did you mean 'train'\?\n  stage kinds \(every instance\): numbers, embed, norms, square, total\n  stage names \(every sweep instance\): embedVocabulary, baseline, reference, train\n  instances: numbers, embedVocabulary\[alpha=1,vocabulary=pool,part=all\], /)
  })

  it("--force and --only on a sweep: a kind, a given name, an exact (merged) instance, an alias of it", async () => {
    const forcedOf = (p: Map<string, any>) => [...p.values()].filter((e) => e.reasons.includes("forced (--force)")).map((e) => e.stage)
    assert.deepEqual(forcedOf(await plan(SWEEP, "--force", "embedVocabulary")), ["embedVocabulary[vocabulary=pool]", "embedVocabulary[vocabulary=words]"])
    assert.equal(forcedOf(await plan(SWEEP, "--force", "total")).length, 9)
    assert.deepEqual(forcedOf(await plan(SWEEP, "--force", "embedVocabulary[vocabulary=words]")), ["embedVocabulary[vocabulary=words]"])
    // The name a merged declaration had before merging still finds its instance.
    assert.deepEqual(forcedOf(await plan(SWEEP, "--force", "embedVocabulary[alpha=2,vocabulary=words,part=image]")), ["embedVocabulary[vocabulary=words]"])
    assert.deepEqual([...(await plan(SWEEP, "--only", "baseline")).keys()], ["numbers", "baseline[part=all]", "baseline[part=image]"])
  })
})

describe("merged sweep instances are named by the dimensions they depend on", () => {
  it("in dag, plan, the run's events (live view groups) and results; stable from run to run", async () => {
    const names = [...(await kindOf(SWEEP)).keys()]
    assert.deepEqual(names.slice(0, 5), ["numbers", "embedVocabulary[vocabulary=pool]", "norms[vocabulary=pool]", "baseline[part=all]", "reference"])
    assert.ok(names.includes("train[alpha=2,vocabulary=words,part=image]"))
    assert.equal(names.length, 24)
    assert.deepEqual([...(await kindOf(SWEEP)).keys()], names, "stable from one resolve to the next")
    const dagJson = (await cli("dag", SWEEP, "--json")).json
    assert.equal(dagJson.find((e) => e.stage === "embedVocabulary[vocabulary=pool]").aliases.length, 4)
    const cache = freshCache()
    const run = await cli("run", SWEEP, "--json", "--cache", cache)
    assert.equal(run.code, 0, run.err)
    const planned = run.json[0].stages as Array<any>
    assert.equal(planned.find((s) => s.stage === "embedVocabulary[vocabulary=words]").group, "vocabulary=words")
    assert.equal(planned.find((s) => s.stage === "baseline[part=image]").group, "part=image")
    assert.equal(planned.find((s) => s.stage === "reference").group, undefined)
    const stageNames = new Set(run.json.filter((e) => e.type === "stage").map((e) => e.stage))
    assert.deepEqual([...stageNames].sort(), [...names].sort())
    const res = await cli("results", SWEEP, "--json", "--cache", cache)
    assert.ok(res.json.some((r) => r.stage === "embedVocabulary[vocabulary=pool]"), res.out)
  })
})
