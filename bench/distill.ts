// node --import tsx bench/distill.ts [--sessions 1,2] [--repeats 1] [--max-steps N] [--backend NAME]
//
// What the `distill` stage saves a VR-LwF session of the quickstart (its
// small CLIP, 4 synthetic shape classes of 150 images, 6 epochs, batch 64,
// Adam 1e-3), timing the stages themselves, in this process:
//   per step: `finetune`, whose teacher encodes every batch (twice from the
//             second session on: the VR term and the LwF term);
//   once:     `distill`, then `finetuneWithTeacher` reading its features.
// Session 2 starts from the same weights as session 1 (timing does not
// depend on them). The two ways alternate, `--repeats` times; each run
// prints its wall time, and a summary gives the fraction of the session's
// time saved: 1 - (distill + finetuneWithTeacher) / finetune. In a study the
// first session's distill is shared by every alpha and vocabulary, so the
// saving per setting is larger there. `--max-steps` shortens the runs (the
// fraction then overstates distill's share).
import { createHash } from "node:crypto"
import { cpus, loadavg } from "node:os"
import { Schema } from "effect"
import { initBackend } from "../src/backend/index.js"
import { customConfig } from "../src/clip/config.js"
import { createClip } from "../src/clip/model.js"
import type { CheckpointInput } from "../src/dsl/Output.js"
import type { StageContext } from "../src/dsl/Stage.js"
import { distill } from "../src/stages/distill.js"
import { DataParams, openExperiment } from "../src/stages/experiment.js"
import { finetune, finetuneWithTeacher } from "../src/stages/finetune.js"
import { smallModel, syntheticData } from "../pipelines/common/synthetic.js"

const argv = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
const sessions = (arg("sessions") ?? "1,2").split(",").map(Number)
const repeats = Number(arg("repeats") ?? 1)
const maxSteps = arg("max-steps") === undefined ? undefined : Number(arg("max-steps"))

const load = () => loadavg().map((x) => x.toFixed(2)).join(" ")
const backend = await initBackend(arg("backend"))
console.log(`backend ${backend.description}; ${cpus().length} cores; load average ${load()} at start`)

const data = syntheticData(0)
await openExperiment(Schema.decodeUnknownSync(DataParams)(data))
const bytes = createClip(customConfig(smallModel), 1).toSafetensors()
const model: CheckpointInput = {
  hash: createHash("sha256").update(bytes).digest("hex"),
  bytes: async () => bytes,
  stream: async function* () {
    yield bytes
  },
  tensors: () => Promise.reject(new Error("not used"))
}

type AnyStage = { readonly name: string; readonly params: Schema.Schema<any, any, never>; readonly run: (args: never) => unknown }

/** One stage run: wall and CPU time (all threads), and the steady time per step (between the first and last progress events). */
interface Timing {
  readonly out: unknown
  readonly ms: number
  readonly cpuMs: number
  readonly steps: number
  readonly msPerStep: number
}

const timed = async (def: AnyStage, params: unknown, inputs: Record<string, unknown>): Promise<Timing> => {
  const at: Array<number> = []
  const ctx: StageContext = {
    stage: def.name,
    key: "bench",
    backend: undefined,
    signal: new AbortController().signal,
    progress: () => void at.push(performance.now()),
    log: () => {}
  }
  const cpu = process.cpuUsage()
  const t = performance.now()
  const out = await def.run({ params: Schema.decodeUnknownSync(def.params)(params), inputs, seed: 0, ctx } as never)
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  return { out, ms, cpuMs: (used.user + used.system) / 1000, steps: at.length, msPerStep: at.length > 1 ? (at.at(-1)! - at[0]!) / (at.length - 1) : NaN }
}

const train = { epochs: 6, batchSize: 64, learningRate: 1e-3, ...(maxSteps === undefined ? {} : { maxSteps }) }
const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const median = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const saved = (before: number, after: number) => `${(100 * (1 - after / before)).toFixed(1)}%`

for (const s of sessions) {
  const params = { data, sessions: { count: 2 }, session: s - 1, method: { name: "VR-LwF", alpha: 0.5 }, train }
  const wall = { today: [] as Array<number>, once: [] as Array<number> }
  const cpu = { today: [] as Array<number>, once: [] as Array<number> }
  const step = { today: [] as Array<number>, once: [] as Array<number> }
  for (let r = 0; r < repeats; r++) {
    const today = await timed(finetune, params, { model, initial: model })
    wall.today.push(today.ms)
    cpu.today.push(today.cpuMs)
    step.today.push(today.msPerStep)
    console.log(`session ${s} run ${r + 1}: finetune (teacher every step) ${fmt(today.ms)} (CPU ${fmt(today.cpuMs)}), ${today.steps} steps, ${today.msPerStep.toFixed(0)} ms/step; load ${load()}`)
    const d = await timed(distill, { data, sessions: { count: 2 }, session: s - 1 }, { model })
    const w = await timed(finetuneWithTeacher, params, { model, initial: model, teacher: d.out })
    wall.once.push(d.ms + w.ms)
    cpu.once.push(d.cpuMs + w.cpuMs)
    step.once.push(w.msPerStep)
    console.log(
      `session ${s} run ${r + 1}: distill ${fmt(d.ms)} (CPU ${fmt(d.cpuMs)}) + finetuneWithTeacher ${fmt(w.ms)} (CPU ${fmt(w.cpuMs)}), ${w.steps} steps, ${w.msPerStep.toFixed(0)} ms/step; load ${load()}`
    )
  }
  console.log(
    `session ${s}, medians of ${repeats}: wall ${fmt(median(wall.today))} -> ${fmt(median(wall.once))} (${saved(median(wall.today), median(wall.once))} saved); ` +
      `CPU ${fmt(median(cpu.today))} -> ${fmt(median(cpu.once))} (${saved(median(cpu.today), median(cpu.once))} saved); ` +
      `per step ${median(step.today).toFixed(0)} -> ${median(step.once).toFixed(0)} ms (${saved(median(step.today), median(step.once))} saved)`
  )
}
console.log(`load average ${load()} at the end`)
