import "./outsideCi.js"
import { strict as assert } from "node:assert"
import { EventEmitter } from "node:events"
import { afterEach, describe, it } from "node:test"
import { cleanup, render } from "ink-testing-library"
import { LiveApp } from "../../src/ui/App.js"
import { stripAnsi } from "../../src/ui/format.js"
import { makeLiveRenderer } from "../../src/ui/live.js"
import { makeStore } from "../../src/ui/store.js"
import { replay } from "../../src/ui/state.js"
import { log, midRun, plan, planned, progress, st, T0 } from "./events.js"

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms))
/** Wait until `cond()` holds (ink renders and reads keys on timers; a loaded machine is slow). */
const waitFor = async (cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> => {
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}`)
    await tick(10)
  }
}
const frameOf = (f: string | undefined) => stripAnsi(f ?? "")
const lineWith = (frame: string, text: string) => frame.split("\n").find((l) => l.includes(text)) ?? ""

const mount = (events = midRun, size = { width: 80, height: 30 }) => {
  const store = makeStore(replay(events))
  let interrupts = 0
  const app = render(<LiveApp store={store} onInterrupt={() => interrupts++} width={size.width} height={size.height} />)
  return { store, app, interrupts: () => interrupts, frame: () => frameOf(app.lastFrame()) }
}

afterEach(() => cleanup())

describe("ui components: frames", () => {
  it("shows each state with its symbol, the bar, rate, ETA, metrics, backend and log", () => {
    const { frame } = mount()
    const f = frame()
    assert.match(f, /^clipcl example-toy\s+backend native · 0:01/)
    assert.match(f, /3\/7 stages [█▏▎▍▌▋▊▉]+░+\s+\d+% · ≥0:02 left/) // train's own ETA: the summaries wait for it
    assert.match(lineWith(f, "numbers"), /◆ numbers\s+cached · saved 20ms/)
    assert.match(lineWith(f, "square"), /✓ square\s+80ms/)
    assert.match(lineWith(f, " train "), /›\S train\s+█+[▏▎▍▌▋▊▉]?░+ 4\/10\s+40%/)
    assert.match(f, /3\.33\/s · 0:01 · eta 0:02 · loss 0\.9000 · accuracy 0\.5000/)
    assert.match(lineWith(f, "features running"), /features running · 0:01/)
    assert.match(lineWith(f, "summary"), /○ summary\s+queued/)
    assert.match(f, /▾ dim=16 \(2\) ○1 ✗1/)
    assert.match(lineWith(f, "✗ features"), /✗ features\s+failed after 30ms/)
    assert.match(f, /\n\s+tensor x has shape \[2,3\], expected \[2,4\]\n\s+cause: ShapeError: rank mismatch\n\s+log: clipcl logs features\[dim=16\]\n/)
    assert.match(f, /─ log: train ─+\n  epoch 1 done\n  learning rate is high\n/)
    assert.match(f, /q stop · ↑↓\/j k focus · l log$/)
    for (const l of f.split("\n")) assert.ok(l.length <= 80, `too wide: ${l}`)
  })

  it("puts bar, rate and metrics on one line from 110 columns", () => {
    const { frame } = mount(midRun, { width: 120, height: 30 })
    assert.match(lineWith(frame(), " train "), /4\/10\s+40% 3\.33\/s · 0:01 · eta 0:02 · loss 0\.9000/)
  })

  it("final frame: interrupted and skipped stages, summary with time saved, results table", async () => {
    const { store, frame } = mount()
    store.dispatch(st("train", "interrupted", 2000, { durationMs: 1900 }))
    store.dispatch(st("features[dim=4]", "ran", 2000, { durationMs: 1900 }))
    store.dispatch(st("summary[dim=4]", "skipped", 2001, { error: { message: "run stopped before this stage" } }))
    store.dispatch(st("summary[dim=16]", "skipped", 2001, { error: { message: "input x ('features[dim=16]') did not complete" } }))
    store.dispatch({ type: "summary", ran: 2, cached: 1, failed: 1, interruptedStages: 1, skipped: 2, durationMs: 2001, savedMs: 20, interrupted: true, time: T0 + 2001 })
    store.dispatch({ type: "results", table: { title: "results", header: ["Method", "Target acc (%)"], rows: [["FT", "91.2"], ["VR-LwF", "88.0"]], numeric: [false, true] } })
    await waitFor(() => /VR-LwF/.test(frame()), "the final frame")
    const f = frame()
    assert.match(lineWith(f, " train "), /■ train\s+interrupted after 1\.9s/)
    assert.match(lineWith(f, "summary  skipped"), /– summary\s+skipped · run stopped before this stage/)
    assert.match(f, /■ interrupted after 2\.0s · cache hits saved 20ms\n  2 ran · 1 cached · 1 failed · 1 interrupted · 2 skipped/)
    assert.match(f, /Method\s+Target acc \(%\)\n─+\s+─+\nFT\s+91\.2\nVR-LwF\s+88\.0/)
    assert.match(f, /7\/7 stages █+ 100%/)
    assert.ok(!/q stop/.test(f), "no key help after the end")
    // The failed stage has no log lines, so no pane.
    assert.ok(!/─ log:/.test(f))
  })

  it("a successful run ends with `done in` and no failure wording", async () => {
    const events = [plan(), ...["numbers", "square", "train", "features[dim=4]", "summary[dim=4]", "features[dim=16]", "summary[dim=16]"].map((n, i) => st(n, "ran", 10 * i, { durationMs: 10 }))]
    const { store, frame } = mount(events)
    store.dispatch({ type: "summary", ran: 7, cached: 0, failed: 0, interruptedStages: 0, skipped: 0, durationMs: 70, savedMs: 0, interrupted: false, time: T0 + 70 })
    await waitFor(() => /done in/.test(frame()), "the final frame")
    assert.match(frame(), /✓ done in 70ms\n  7 ran · 0 cached · 0 failed · 0 skipped/)
    assert.ok(!/saved/.test(lineWith(frame(), "done in")))
  })
})

describe("ui components: keys", () => {
  it("q calls onInterrupt and shows that the run is stopping", async () => {
    const { app, interrupts, frame } = mount()
    app.stdin.write("q")
    await waitFor(() => interrupts() === 1 && /stopping: interrupting running stages/.test(frame()), "q")
    // A second press is passed on (the CLI quits at once on the second).
    app.stdin.write("q")
    await waitFor(() => interrupts() === 2, "second q")
  })

  it("Ctrl-C calls onInterrupt", async () => {
    const { app, interrupts } = mount()
    app.stdin.write("\u0003")
    await waitFor(() => interrupts() === 1, "Ctrl-C")
  })

  it("j / k and the arrows move the focus between running stages; the log pane follows", async () => {
    const { app, store, frame } = mount([...midRun, log("features[dim=4]", "loading features", 1320)])
    const focusLine = () => lineWith(frame(), "›")
    assert.match(focusLine(), / train /)
    app.stdin.write("j")
    await waitFor(() => /features running/.test(focusLine()), "j")
    assert.match(frame(), /─ log: features\[dim=4\] ─+\n  loading features/)
    app.stdin.write("k")
    await waitFor(() => / train /.test(focusLine()), "k")
    app.stdin.write("\u001B[B")
    await waitFor(() => /features running/.test(focusLine()), "down arrow")
    app.stdin.write("\u001B[A")
    await waitFor(() => / train /.test(focusLine()), "up arrow")
    assert.equal(store.get().focus, "train")
  })

  it("l toggles the log pane", async () => {
    const { app, frame } = mount()
    assert.match(frame(), /─ log: train/)
    app.stdin.write("l")
    await waitFor(() => !/─ log:/.test(frame()) && /l log \(hidden\)/.test(frame()), "l")
    app.stdin.write("l")
    await waitFor(() => /─ log: train/.test(frame()), "second l")
  })

  it("keys do nothing once the run is over", async () => {
    const { app, store, interrupts, frame } = mount()
    store.dispatch({ type: "summary", ran: 1, cached: 1, failed: 1, interruptedStages: 0, skipped: 0, durationMs: 2000, savedMs: 20, interrupted: false, time: T0 + 2000 })
    await waitFor(() => /finished with failures/.test(frame()), "the summary frame")
    app.stdin.write("q")
    app.stdin.write("l")
    await tick(100)
    assert.equal(interrupts(), 0)
    assert.equal(store.get().showLogs, true)
  })
})

/** Enough of a TTY for ink: size, write, resize events. */
class FakeStdout extends EventEmitter {
  columns = 80
  rows = 24
  isTTY = true
  out = ""
  write(s: string) {
    this.out += s
    return true
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true
  private buffer: Array<string> = []
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return this.buffer.shift() ?? null
  }
  press(s: string) {
    this.buffer.push(s)
    this.emit("readable")
    this.emit("data", s)
  }
}

describe("ui live renderer", () => {
  it("consumes events, passes q to onInterrupt and leaves the final frame with the results", async () => {
    const stdout = new FakeStdout()
    const stdin = new FakeStdin()
    let interrupts = 0
    const prevCi = process.env.CI
    delete process.env.CI
    const r = makeLiveRenderer({
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      onInterrupt: () => interrupts++,
      results: (s) => ({ header: ["stage", "status"], rows: s.order.map((n) => [n, s.stages[n]!.status]), numeric: [false, false] })
    })
    if (prevCi !== undefined) process.env.CI = prevCi
    // Event times as the engine stamps them (the renderer's clock ticks in real time).
    const shift = Date.now() - T0 - 1400
    const withEval = [plan([...planned, { stage: "evaluate", key: "ev", kind: "evaluate", deps: ["train"], action: "run", reasons: [] }]), ...midRun.slice(1)]
    for (const e of [...withEval, progress("train", 5, 10, 1400, { loss: 0.8 })]) r.onEvent({ ...e, time: e.time + shift })
    await waitFor(() => stripAnsi(stdout.out).includes("5/10"), "the 5/10 frame")
    stdin.press("q")
    await waitFor(() => interrupts === 1 && stripAnsi(stdout.out).includes("stopping"), "q to reach onInterrupt")
    r.onEvent(st("train", "interrupted", 1500 + shift, { durationMs: 1400 }))
    r.onEvent({ type: "summary", ran: 1, cached: 1, failed: 1, interruptedStages: 1, skipped: 3, durationMs: 1500, savedMs: 20, interrupted: true, time: T0 + 1500 + shift })
    await r.close()
    const out = stripAnsi(stdout.out)
    assert.match(out, /5\/10/)
    assert.match(out, /stopping/)
    const tail = out.slice(out.lastIndexOf("clipcl example-toy"))
    assert.match(tail, /■ train\s+interrupted after 1\.4s/)
    assert.match(tail, /■ interrupted after 1\.5s · cache hits saved 20ms\n  1 ran · 1 cached · 1 failed · 1 interrupted · 3 skipped/)
    assert.match(tail, /stage\s+status\n─+\s+─+\nnumbers\s+cached\n/)
    for (const l of tail.split("\n")) assert.ok(l.length <= 80, l)
  })

  it("asks for the results table only once the run is over, and shows none when there is none", async () => {
    const asked: Array<number> = []
    for (const withSummary of [false, true]) {
      let n = 0
      const stdout = new FakeStdout()
      const r = makeLiveRenderer({ stdout: stdout as unknown as NodeJS.WriteStream, stdin: new FakeStdin() as unknown as NodeJS.ReadStream, results: () => (n++, undefined) })
      for (const e of midRun) r.onEvent(e)
      if (withSummary) r.onEvent({ type: "summary", ran: 1, cached: 1, failed: 1, interruptedStages: 0, skipped: 4, durationMs: 1500, savedMs: 20, interrupted: false, time: T0 + 1500 })
      await r.close()
      asked.push(n)
      assert.doesNotMatch(stripAnsi(stdout.out), /─{3,}\s+─{3,}/)
    }
    assert.deepEqual(asked, [0, 1])
  })

  it("prints plain lines without escape codes when CI is set", async () => {
    const stdout = new FakeStdout()
    const prevCi = process.env.CI
    process.env.CI = "true"
    try {
      const r = makeLiveRenderer({ stdout: stdout as unknown as NodeJS.WriteStream })
      for (const e of midRun) r.onEvent(e)
      await r.close()
    } finally {
      if (prevCi === undefined) delete process.env.CI
      else process.env.CI = prevCi
    }
    assert.ok(!stdout.out.includes("\u001b"))
    assert.match(stdout.out, /^plan example-toy: 7 stages/)
    assert.match(stdout.out, /\[FAILED\]  features\[dim=16\]: tensor x has shape/)
  })
})
