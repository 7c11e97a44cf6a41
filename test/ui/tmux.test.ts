// End-to-end: `clipcl run` in a real pseudo-terminal (a detached tmux session
// of 80x24), asserting on the captured screen. Skipped, with a message, when
// tmux is not installed. CI and CONTINUOUS_INTEGRATION are unset in the
// session: with them ink (and so the live view) prints plain lines instead.
import { strict as assert } from "node:assert"
import { execFile, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, before, describe, it } from "node:test"

const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0
const socket = `clipcl-ui-${process.pid}`
const tmux = (...args: Array<string>) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" })
const capture = (session: string): string => tmux("capture-pane", "-p", "-t", session).stdout ?? ""
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ESC = String.fromCharCode(27)

/** Start `clipcl run` in a fresh 80x24 session; the shell prints EXIT=code after it. */
const start = (session: string, env: Record<string, string>, args: string): void => {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")
  const cmd = `env -u CI -u CONTINUOUS_INTEGRATION ${vars} node bin/clipcl.js run test/fixtures/ui/toy.ts ${args}; echo EXIT=$?; sleep 600`
  const r = tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", "-c", process.cwd(), cmd)
  assert.equal(r.status, 0, r.stderr)
}

/** Poll the screen until `done(screen)`; returns every distinct screen seen. */
const watch = async (session: string, done: (screen: string) => boolean, timeoutMs: number): Promise<Array<string>> => {
  const seen: Array<string> = []
  const t0 = Date.now()
  for (;;) {
    const screen = capture(session)
    if (seen[seen.length - 1] !== screen) seen.push(screen)
    if (done(screen)) return seen
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out; last screen:\n${screen}`)
    await sleep(150)
  }
}

describe("live view in a pseudo-terminal (tmux 80x24)", { concurrency: 2, skip: hasTmux ? false : "tmux is not installed: skipping the pseudo-terminal test" }, () => {
  let dir = ""
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "clipcl-ui-"))
  })
  after(() => {
    tmux("kill-server")
    rmSync(dir, { recursive: true, force: true })
  })

  it("shows the stages, a progress bar and the summary", async () => {
    start("run1", { CLIPCL_UI_TRAIN_MS: "2500" }, `--jobs 2 --cache ${join(dir, "cache.sqlite")}`)
    const screens = await watch("run1", (s) => /EXIT=\d+/.test(s), 90_000)
    const last = screens[screens.length - 1]!
    assert.match(last, /EXIT=0/)
    // Some frame showed a running training stage with its bar, steps and loss.
    const live = screens.find((s) => /█+░*\s+\d+\/20/.test(s) && /loss \d/.test(s))
    assert.ok(live, `no frame with a progress bar; frames:\n${screens.join("\n-----\n")}`)
    assert.match(live!, /clipcl ui-toy/)
    assert.match(live!, /stages/)
    // The final frame: the groups, the stages and the summary.
    assert.match(last, /lr=0\.05/)
    assert.match(last, /numbers/)
    assert.match(last, /long/)
    assert.match(last, /done in \d+(\.\d)?s/)
    assert.match(last, /4 ran · 0 cached · 0 failed · 0 skipped/)
    assert.ok(!last.includes(ESC))
    for (const line of last.split("\n")) assert.ok(line.length <= 80, line)
  })

  it("q interrupts a long stage: exit 130 and an interrupted summary", async () => {
    start("run2", { CLIPCL_UI_LONG_MS: "120000", CLIPCL_UI_TRAIN_MS: "300" }, `--jobs 3 --cache ${join(dir, "cache2.sqlite")}`)
    // Wait until the training stages are done and the long one runs (its bar is drawn), then press q.
    await watch("run2", (s) => /long\s+█*[▏▎▍▌▋▊▉]?░+\s+\d+\/100/.test(s) && (s.match(/✓ train/g) ?? []).length === 2, 90_000)
    tmux("send-keys", "-t", "run2", "q")
    const screens = await watch("run2", (s) => /EXIT=\d+/.test(s), 60_000)
    const last = screens[screens.length - 1]!
    assert.match(last, /EXIT=130/)
    assert.match(last, /interrupted after \d+(\.\d)?s/)
    assert.match(last, /■ long\s+interrupted after/)
    // The quick stages finished; the long one counts as interrupted, not failed.
    assert.match(last, /3 ran · 0 cached · 0 failed · 1 interrupted · 0 skipped/)
    // Nothing partial was cached: the plan runs the long stage again and reuses the rest.
    const planned = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["bin/clipcl.js", "plan", "test/fixtures/ui/toy.ts", "--json", "--cache", join(dir, "cache2.sqlite")],
        { env: { ...process.env, CLIPCL_UI_LONG_MS: "120000", CLIPCL_UI_TRAIN_MS: "300" } },
        (err, stdout) => (err ? reject(err) : resolve(stdout))
      )
    )
    const actions = Object.fromEntries(planned.trim().split("\n").map((l) => JSON.parse(l) as { stage: string; action: string }).map((e) => [e.stage, e.action]))
    assert.deepEqual(actions, { numbers: "cached", "train[lr=0.05]": "cached", "train[lr=0.1]": "cached", long: "run" })
  })
})
