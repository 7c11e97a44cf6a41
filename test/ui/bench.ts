// Cost of the live view on a large sweep. Run:
//   node --import tsx test/ui/bench.ts [SETTINGS]
// 1. reducer time per progress event and one 80x24 frame via renderToString;
// 2. the live renderer (ink, fake 80x24 TTY) with 8 stages each reporting
//    progress every 100 ms (the scheduler's throttle) for 4 s: main-thread
//    busy fraction and bytes written.
import { EventEmitter } from "node:events"
import { makeLiveRenderer } from "../../src/ui/live.js"
import { renderFrame } from "../../src/ui/render.js"
import { reduce, replay, type UiAction } from "../../src/ui/state.js"
import { plan, progress, st, sweepPlan } from "./events.js"

const settings = Number(process.argv[2] ?? 200)
const stages = sweepPlan(settings)
const running = Array.from({ length: 8 }, (_, i) => `step0[seed=${i}]`)

let s = replay([plan(stages), st("data", "ran", 1, { durationMs: 1 }), ...running.map((n) => st(n, "running", 2))])
const events: Array<UiAction> = []
for (let k = 0; k < 20_000; k++) events.push(progress(running[k % running.length]!, k, 20_000, 10 + k, { loss: 1 / (k + 1), accuracy: k / 20_000 }))
let t = performance.now()
for (const e of events) s = reduce(s, e)
const perEvent = (performance.now() - t) / events.length
t = performance.now()
const frames = 30
for (let i = 0; i < frames; i++) renderFrame(s, { width: 80, height: 24 })
const perFrame = (performance.now() - t) / frames

class Out extends EventEmitter {
  columns = 80
  rows = 24
  isTTY = true
  bytes = 0
  write(text: string) {
    this.bytes += Buffer.byteLength(text)
    return true
  }
}
class In extends EventEmitter {
  isTTY = true
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null
  }
}
delete process.env["CI"]
const out = new Out()
const r = makeLiveRenderer({ stdout: out as unknown as NodeJS.WriteStream, stdin: new In() as unknown as NodeJS.ReadStream })
const now = Date.now()
for (const e of [plan(stages), st("data", "ran", 1, { durationMs: 1 }), ...running.map((n) => st(n, "running", 2))]) r.onEvent({ ...e, time: now })
await new Promise((res) => setTimeout(res, 500))
const e0 = performance.eventLoopUtilization()
const t0 = Date.now()
let k = 0
while (Date.now() - t0 < 4000) {
  for (const n of running) r.onEvent({ ...progress(n, k, 100_000, 0, { loss: 1 / (k + 1) }), time: Date.now() })
  k++
  await new Promise((res) => setTimeout(res, 100))
}
const elu = performance.eventLoopUtilization(e0)
const wall = Date.now() - t0
const bytes = out.bytes
await r.close()
// ink patches the console while mounted: report after closing.
console.log(
  `${stages.length} stages: reduce ${(perEvent * 1000).toFixed(1)} µs/event, renderToString ${perFrame.toFixed(1)} ms/frame (80x24); ` +
    `live view with 8 running stages, ${k * 8} progress events in ${wall} ms: main thread busy ${(elu.utilization * 100).toFixed(1)}%, ${Math.round((bytes / wall) * 1000)} bytes/s written`
)
process.exit(0)
