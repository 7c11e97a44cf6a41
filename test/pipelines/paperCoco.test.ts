// End to end: `clipcl run pipelines/paper-coco.ts` on tiny data in the real formats (cocoFixture.ts)
// and the tiny CLIP of test/fixtures/clip-tiny, the protocol shrunk through the pipeline's variables
// (4 classes, MST in 2 sessions, 1 epoch).
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { before, test } from "node:test"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { CacheStore, CacheStoreLive, type ContentHash } from "../../src/cache/CacheStore.js"
import { decodeTable } from "../../src/cache/codec.js"
import { writeCocoFixture } from "./cocoFixture.js"

const root = fileURLToPath(new URL("../../", import.meta.url))
const weights = path.join(root, "test", "fixtures", "clip-tiny", "model.safetensors")

let tmp: string
let env: NodeJS.ProcessEnv
let fx: Awaited<ReturnType<typeof writeCocoFixture>>

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-paper-coco-"))
  fx = await writeCocoFixture(tmp)
  // The pipeline's own variables come from this test only.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^CLIPCL_(CLIP_WEIGHTS|COCO_DIR|FLICKR_DIR|CIFAR100_DIR|ZEROSHOT_|PAPER_)/.test(k)))
  env = {
    ...inherited,
    CLIPCL_CLIP_WEIGHTS: weights,
    CLIPCL_COCO_DIR: fx.coco,
    CLIPCL_FLICKR_DIR: fx.flickr,
    CLIPCL_ZEROSHOT_DIR: fx.zeroShot,
    CLIPCL_ZEROSHOT_PROMPTS: "STL10",
    CLIPCL_ZEROSHOT_PER_CLASS: "2",
    CLIPCL_PAPER_SESSIONS: "2",
    CLIPCL_PAPER_EPOCHS: "1",
    CLIPCL_PAPER_BATCH_SIZE: "8",
    CLIPCL_PAPER_TRAIN_PER_CLASS: "4",
    CLIPCL_PAPER_TEST_PER_CLASS: "3",
    CLIPCL_PAPER_IMAGE_SIZE: "64"
  }
})

const clipcl = (args: ReadonlyArray<string>, over: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ["bin/clipcl.js", ...args], { cwd: root, encoding: "utf8", env: { ...env, ...over }, timeout: 180_000 })

const lines = (stdout: string) => stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, any>)

const methods = ["FT", "LwF", "VR-LwF", "ZSCL"]

/** Every stage instance the pipeline declares with 2 MST sessions. */
const expectedStages = (): Array<string> => {
  const out = ["weights", "report"]
  for (const [protocol, sessions] of [["OST", 1], ["MST", 2]] as const) {
    const tag = `[protocol=${protocol}]`
    out.push(`evaluate[pretrained]${tag}`, `interpolate[WiSE-FT]${tag}`, `evaluate[WiSE-FT] session ${sessions}${tag}`)
    for (const m of methods) {
      for (let s = 1; s <= sessions; s++) out.push(`finetune[${m}] session ${s}${tag}`, `evaluate[${m}] session ${s}${tag}`)
    }
    // The teacher's image features, once per teacher and image set (LwF distils from session 2 on).
    for (let s = 1; s <= sessions; s++) out.push(`distill[VR-LwF] session ${s}${tag}`)
    if (sessions > 1) out.push(`distill[LwF] session 2${tag}`)
  }
  // ZSCL's reference pairs and teacher (the loaded weights) are the same in both protocols: one stage,
  // named by the sweep dimensions it shares (none).
  out.push("distill[ZSCL] reference")
  return out.sort()
}

/** The last status event of each stage. */
const finalStatus = (events: ReadonlyArray<Record<string, any>>) =>
  new Map(events.filter((e) => e.type === "stage" && ["ran", "cached", "failed", "skipped"].includes(e.status)).map((e) => [e.stage as string, e.status as string]))

// That a changed data file re-keys the stages is tested in process (cocoSource.test.ts), to keep
// this test's CLI start-ups (several seconds each on the shared machine) few.
test("paper-coco: OST and MST studies run end to end on tiny real-format data, then are all cached", async () => {
  const cache = path.join(tmp, "cache.sqlite")
  const run = clipcl(["run", "pipelines/paper-coco.ts", "--json", "--cache", cache])
  assert.equal(run.status, 0, run.stdout.slice(-4000) + run.stderr.slice(-4000))
  const events = lines(run.stdout)
  const status = finalStatus(events)
  assert.deepEqual([...status.keys()].sort(), expectedStages())
  // LwF's first session has no teacher yet, so it yields FT's model: its evaluation (whose key has
  // no method label) is FT's, found in the cache once FT's has run.
  const sameAsFt = new Set(["evaluate[LwF] session 1[protocol=OST]", "evaluate[LwF] session 1[protocol=MST]"])
  for (const [stage, s] of status) assert.ok(s === "ran" || (s === "cached" && sameAsFt.has(stage)), `${stage}: ${s}`)
  const summary = events.find((e) => e.type === "summary")!
  assert.deepEqual([summary.ran + summary.cached, summary.failed, summary.skipped], [37, 0, 0])
  // Each method trained with its own loss: progress metrics name the terms.
  const metricsOf = (stage: string) => Object.assign({}, ...events.filter((e) => e.type === "progress" && e.stage === stage).map((e) => e.metrics))
  assert.ok("vr" in metricsOf("finetune[VR-LwF] session 1[protocol=OST]"))
  assert.ok("lwf" in metricsOf("finetune[LwF] session 2[protocol=MST]"))
  assert.ok("zscl" in metricsOf("finetune[ZSCL] session 1[protocol=MST]"))
  assert.equal(metricsOf("finetune[FT] session 1[protocol=OST]").lr, 1e-6)

  // One results row per method and protocol, with target, zero-shot and retrieval figures.
  const res = clipcl(["results", "pipelines/paper-coco.ts", "--format", "json", "--cache", cache])
  assert.equal(res.status, 0, res.stderr)
  const rows = JSON.parse(res.stdout) as Array<Record<string, any>>
  const fraction = (v: unknown) => typeof v === "number" && v >= 0 && v <= 1
  for (const protocol of ["OST", "MST"]) {
    for (const method of ["pretrained", ...methods, "WiSE-FT"]) {
      const row = rows.find((r) => r.method === method && r.setting.protocol === protocol)
      assert.ok(row !== undefined, `no row for ${method} ${protocol}`)
      for (const f of ["targetAcc", "zeroShotAcc", "retrievalR1", "retrievalR5", "i2tR1", "t2iR1"]) assert.ok(fraction(row[f]), `${method} ${protocol} ${f} = ${row[f]}`)
      assert.equal(row.sessions, method === "pretrained" ? 0 : protocol === "OST" ? 1 : 2)
      if (method !== "pretrained") assert.ok(typeof row.zeroShotDrop === "number", `${method} ${protocol} zeroShotDrop`)
      if (protocol === "MST" && methods.includes(method)) assert.ok(typeof row.bwt === "number", `${method} MST bwt`)
    }
  }
  assert.equal(rows.length, 12)

  // The evaluation table keeps COCO and Flickr30K retrieval apart, and names every task.
  const table = await Effect.runPromise(Effect.gen(function* () {
    const store = yield* CacheStore
    const [r] = yield* store.runs({ pipeline: "paper-coco", stage: "evaluate[FT] session 2[protocol=MST]", status: "ok" })
    return yield* decodeTable(yield* store.readArtifact(r!.output as ContentHash))
  }).pipe(Effect.provide(CacheStoreLive(cache))))
  // An evaluation's rows carry no labels (the report adds them).
  assert.ok(!table.columns.includes("method") && !table.columns.includes("setting"), table.columns.join(", "))
  const col = (c: string) => table.columns.indexOf(c)
  const tasks = new Set(table.rows.map((r) => `${r[col("role")]}:${r[col("task")]}`))
  for (const t of ["retrieval:coco retrieval", "retrieval:flickr30k retrieval", "zeroshot:zeroshot", "target:coco crops", "session:session 0", "session:session 1"]) {
    assert.ok(tasks.has(t), `no ${t} in ${[...tasks].join(", ")}`)
  }

  // A second run is all cache hits: the input stamps are stable across processes.
  const again = clipcl(["run", "pipelines/paper-coco.ts", "--json", "--cache", cache])
  assert.equal(again.status, 0, again.stderr)
  const s2 = lines(again.stdout).find((e) => e.type === "summary")!
  assert.deepEqual([s2.ran, s2.cached], [0, 37])
})

test("paper-coco: a missing weights file stops the pipeline before anything runs, naming the file and the variable", () => {
  const missing = path.join(tmp, "no-such", "ViT-B-32.safetensors")
  const r = clipcl(["run", "pipelines/paper-coco.ts", "--json", "--cache", path.join(tmp, "err.sqlite")], { CLIPCL_CLIP_WEIGHTS: missing, CLIPCL_FLICKR_DIR: path.join(tmp, "no-flickr") })
  const out = r.stdout + r.stderr
  assert.notEqual(r.status, 0, out)
  assert.ok(out.includes(missing), out)
  assert.match(out, /CLIPCL_CLIP_WEIGHTS/)
  // Every problem is reported at once, with the variable to set.
  assert.ok(out.includes(path.join(tmp, "no-flickr", "dataset_flickr30k.json")), out)
  assert.match(out, /CLIPCL_FLICKR_DIR/)
  assert.equal(lines(r.stdout).filter((e) => e.type === "stage").length, 0)
})
