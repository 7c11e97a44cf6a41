// `clipcl run --executor slurm` on a real two-node Slurm cluster (scripts/slurm-cluster.sh).
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { after } from "node:test"
import { cli, fixture, spawnCli, tempDir } from "../engine/helpers.js"
import { finalEvents, ledgerRows, outputsOf, slurmJobs, slurmTest, writeSettings } from "./cluster.js"

const tmp = tempDir()
after(() => tmp.cleanup())
const settings = writeSettings(tmp.dir)
const slurmArgs = ["--executor", "slurm", "--slurm-config", settings]

const runToEnd = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const child = spawnCli(args, env)
  const code = await child.exited
  return { code, events: child.lines }
}

const sleepUntil = async (p: () => boolean, ms: number, what: string) => {
  const t0 = Date.now()
  while (!p()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

for (const [name, file] of [
  ["the toy pipeline", resolve("pipelines/example-toy.ts")],
  ["a shortened quickstart", fixture("quickstart-short.ts")]
] as const) {
  slurmTest(`${name} through Slurm: same keys and output hashes as a local run, both nodes used, a second run submits nothing`, async () => {
    const slug = name.replace(/\W+/g, "-")
    const local = join(tmp.dir, `${slug}-local.sqlite`)
    const remote = join(tmp.dir, `${slug}-slurm.sqlite`)
    const l = await cli("run", file, "--json", "--cache", local)
    assert.equal(l.code, 0, l.err)
    const r = await runToEnd(["run", file, "--json", "--cache", remote, ...slurmArgs])
    assert.equal(r.code, 0, JSON.stringify(r.events.filter((e) => e.type === "stage" && e.status === "failed")))
    const lf = finalEvents(l.json)
    const rf = finalEvents(r.events)
    assert.deepEqual(Object.keys(rf).sort(), Object.keys(lf).sort())
    // A stage whose key another stage of the same run produced (LwF's first session is FT's, and
    // so is its evaluation) is a cache hit; which of the two runs first is a race, so the pair
    // may swap between the runs. Every other stage ran as a job.
    for (const [stage, e] of Object.entries(rf)) {
      assert.equal(e.key, lf[stage].key, `${stage}: same key`)
      if (e.status === "ran") assert.equal(e.executor, "slurm")
      else {
        assert.equal(e.status, "cached", stage)
        assert.ok(Object.entries(rf).some(([s, o]: [string, any]) => s !== stage && o.key === e.key && o.status === "ran"), `${stage}: cached, but no stage of this run produced its key`)
      }
    }
    const ranCount = (f: Record<string, any>) => Object.values(f).filter((e: any) => e.status === "ran").length
    assert.equal(ranCount(rf), ranCount(lf), "as many stages ran as in the local run")
    const keys = Object.values(rf).map((e: any) => e.key)
    const ran = Object.values(rf).filter((e: any) => e.status === "ran").length
    assert.deepEqual(await outputsOf(remote, keys), await outputsOf(local, keys), "same output hashes")
    const nodes = new Set(Object.values(rf).filter((e: any) => e.status === "ran").map((e: any) => e.node))
    assert.deepEqual([...nodes].sort(), ["n1", "n2"], "jobs ran on both nodes")
    const pipelineName = (file.endsWith("example-toy.ts") ? "example-toy" : "quickstart-short")
    const left = existsSync(join(tmp.dir, "spool", pipelineName)) ? readdirSync(join(tmp.dir, "spool", pipelineName)) : []
    assert.deepEqual(left, [], "attempt directories of taken-in jobs are removed")
    const submitted = ledgerRows(remote).length
    assert.equal(submitted, ran, "one job per stage that ran")
    const again = await runToEnd(["run", file, "--json", "--cache", remote, ...slurmArgs])
    assert.equal(again.code, 0)
    assert.ok(Object.values(finalEvents(again.events)).every((e: any) => e.status === "cached"))
    assert.equal(ledgerRows(remote).length, submitted, "the second run submitted nothing")
  })
}

slurmTest("SIGKILL of the coordinator mid-run: the next run reattaches, submits no stage twice, and the results match", async () => {
  const cache = join(tmp.dir, "reattach.sqlite")
  const env = { CLIPCL_TEST_SHORT_MS: "1500", CLIPCL_TEST_SLEEP_MS: "12000" }
  const child = spawnCli(["run", fixture("reattach.ts"), "--json", "--cache", cache, ...slurmArgs], env)
  await child.waitFor((e) => e.type === "stage" && e.stage === "long" && e.jobState === "RUNNING", 120_000)
  await child.waitFor((e) => e.type === "stage" && e.stage === "short" && e.jobState === "RUNNING", 120_000)
  child.kill("SIGKILL")
  await child.exited
  const before = ledgerRows(cache)
  const short = before.find((r) => r.stage === "short")!
  // Let the short job finish while no coordinator runs: the next run must take it in, not re-run it.
  await sleepUntil(() => existsSync(join(short.dir, "done")), 120_000, "the short job's marker")
  Object.assign(process.env, env)
  const again = await runToEnd(["run", fixture("reattach.ts"), "--json", "--cache", cache, ...slurmArgs], env)
  assert.equal(again.code, 0)
  const f = finalEvents(again.events)
  for (const s of ["short", "long"]) {
    assert.equal(f[s].status, "ran", s)
    assert.ok(again.events.some((e) => e.type === "log" && e.stage === s && /reattached to job/.test(e.line)), `${s} reattached`)
  }
  // A row whose coordinator was killed before `sbatch` ran (no job id, no job found, marked lost)
  // never reached Slurm: it is not a submission, and the stage is submitted afresh.
  const rows = ledgerRows(cache).filter((r) => r.jobId !== null)
  const perKey = new Map<string, number>()
  for (const r of rows) perKey.set(r.key, (perKey.get(r.key) ?? 0) + 1)
  assert.ok([...perKey.values()].every((n) => n === 1), `no stage submitted twice: ${JSON.stringify(ledgerRows(cache))}`)
  assert.equal(new Set(slurmJobs(cache, "fixture-reattach").map((j) => j.id)).size, rows.length, "Slurm saw as many submissions as the ledger")
  const local = join(tmp.dir, "reattach-local.sqlite")
  const l = await cli("run", fixture("reattach.ts"), "--json", "--cache", local)
  assert.equal(l.code, 0, l.err)
  const keys = Object.values(f).map((e: any) => e.key)
  assert.deepEqual(await outputsOf(cache, keys), await outputsOf(local, keys))
})

slurmTest("a job cancelled from outside (scancel) is retried on the other node", async () => {
  const cache = join(tmp.dir, "scancel.sqlite")
  const env = { CLIPCL_TEST_SLEEP_MS: "5000" }
  const child = spawnCli(["run", fixture("slow.ts"), "--json", "--cache", cache, ...slurmArgs], env)
  const running = await child.waitFor((e) => e.type === "stage" && e.stage === "sleep" && e.jobState === "RUNNING", 120_000)
  assert.equal(spawnSync("scancel", [running.jobId]).status, 0)
  assert.equal(await child.exited, 0)
  const f = finalEvents(child.lines)
  assert.equal(f.sleep.status, "ran")
  assert.equal(f.sleep.attempt, 2)
  assert.notEqual(f.sleep.jobId, running.jobId)
  assert.notEqual(f.sleep.node, running.node, "the retry avoided the node of the cancelled job")
  const rows = ledgerRows(cache).filter((r) => r.stage === "sleep")
  assert.deepEqual(rows.map((r) => r.state).sort(), ["lost", "taken"])
})

slurmTest("a stage that throws fails with its message and is not retried", async () => {
  const cache = join(tmp.dir, "fail.sqlite")
  const r = await runToEnd(["run", fixture("fail.ts"), "--json", "--cache", cache, ...slurmArgs])
  assert.equal(r.code, 1)
  const f = finalEvents(r.events)
  assert.equal(f.boom.status, "failed")
  assert.match(f.boom.error.message, /boom went off/)
  assert.equal(f.total.status, "ran")
  assert.equal(ledgerRows(cache).filter((row) => row.stage === "boom").length, 1, "not retried")
  const logs = await cli("logs", "boom", "--cache", cache)
  assert.match(logs.out, /boom went off/)
  assert.match(logs.out, /\[slurm\] job \d+, attempt 1, node n[12]/)
  const kept = /Slurm's output: (\S+)/.exec(logs.out)
  assert.ok(kept !== null && existsSync(kept[1]!), "Slurm's output file is kept on failure")
})

slurmTest("Ctrl-C cancels every job of the run, caches nothing partial, exits 130", async () => {
  const cache = join(tmp.dir, "sigint.sqlite")
  const env = { CLIPCL_TEST_SLEEP_MS: "60000" }
  const child = spawnCli(["run", fixture("slow.ts"), "--json", "--cache", cache, ...slurmArgs], env)
  await child.waitFor((e) => e.type === "stage" && e.stage === "sleep" && e.jobState === "RUNNING", 120_000)
  child.kill("SIGINT")
  assert.equal(await child.exited, 130)
  assert.deepEqual(slurmJobs(cache, "fixture-slow", "PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED"), [], "nothing of this run left in squeue")
  assert.ok(ledgerRows(cache).filter((r) => r.stage === "sleep").every((r) => r.state === "cancelled"))
  process.env.CLIPCL_TEST_SLEEP_MS = "60000"
  const plan = await cli("plan", fixture("slow.ts"), "--json", "--cache", cache)
  assert.deepEqual(plan.json.find((e) => e.stage === "sleep").reasons, ["last run was interrupted"])
  const v = await cli("cache", "verify", "--json", "--cache", cache)
  assert.equal(v.code, 0)
  assert.equal(v.json[0].corrupt.length, 0)
})

slurmTest("a job whose code fingerprint no longer matches refuses to run; the stage fails, not retried", async () => {
  const cache = join(tmp.dir, "fingerprint.sqlite")
  const include = join(tmp.dir, "included.txt")
  writeFileSync(include, "version 1\n")
  const env = { CLIPCL_TEST_INCLUDE: include }
  // Held in the queue until the included file has changed under it.
  const child = spawnCli(["run", fixture("include.ts"), "--json", "--cache", cache, ...slurmArgs, "--sbatch-arg=--hold"], env)
  const queued = await child.waitFor((e) => e.type === "stage" && e.stage === "included" && e.jobId !== undefined, 120_000)
  writeFileSync(include, "version 2\n")
  assert.equal(spawnSync("scontrol", ["release", queued.jobId]).status, 0)
  assert.equal(await child.exited, 1)
  const f = finalEvents(child.lines)
  assert.equal(f.included.status, "failed")
  assert.match(f.included.error.message, /refused to run: code fingerprint differs/)
  assert.equal(ledgerRows(cache).length, 1, "not retried")
})

slurmTest("requests the partition cannot satisfy are reported before anything is submitted", async () => {
  const cache = join(tmp.dir, "toobig.sqlite")
  mkdirSync(join(tmp.dir, "big"), { recursive: true })
  const big = writeSettings(join(tmp.dir, "big"), { defaults: { cpus: 999, mem: "256M" }, kinds: { total: { mem: "100T" } } })
  const r = await cli("run", fixture("slow.ts"), "--json", "--cache", cache, "--executor", "slurm", "--slurm-config", big)
  assert.equal(r.code, 2)
  assert.match(r.err, /partition 'debug' cannot run these stages/)
  assert.match(r.err, /numbers \(numbers\): asks for 999 CPUs, nodes have at most \d+/)
  assert.match(r.err, /total \(total\): asks for \d+ MB of memory/)
  assert.equal(ledgerRows(cache).length, 0, "nothing submitted")
  assert.deepEqual(slurmJobs(cache, "fixture-slow"), [])
})

slurmTest("an sbatch error that is not transient fails the stage at once, naming sbatch's message", async () => {
  const cache = join(tmp.dir, "sbatch.sqlite")
  const include = join(tmp.dir, "sbatch-included.txt")
  writeFileSync(include, "any\n")
  const r = await runToEnd(["run", fixture("include.ts"), "--json", "--cache", cache, ...slurmArgs, "--sbatch-arg=--no-such-option"], { CLIPCL_TEST_INCLUDE: include })
  assert.equal(r.code, 1)
  const f = finalEvents(r.events)
  assert.equal(f.included.status, "failed")
  assert.match(f.included.error.message, /sbatch failed: .*no-such-option/)
  assert.deepEqual(ledgerRows(cache).map((row) => row.state), ["failed"])
})

slurmTest("transient sbatch errors are retried with backoff: a fake sbatch fails twice, then the real one submits", async () => {
  const cache = join(tmp.dir, "transient.sqlite")
  const bin = join(tmp.dir, "fake-bin")
  mkdirSync(bin, { recursive: true })
  const real = spawnSync("sh", ["-c", "command -v sbatch"], { encoding: "utf8" }).stdout.trim()
  const count = join(bin, "calls")
  // What a busy controller answers; the third call and later go to the real sbatch.
  writeFileSync(
    join(bin, "sbatch"),
    `#!/bin/sh\nn=$(($(cat '${count}' 2>/dev/null || echo 0) + 1)); echo $n > '${count}'\n` +
      `if [ $n -le 2 ]; then echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2; exit 1; fi\nexec '${real}' "$@"\n`,
    { mode: 0o755 }
  )
  const r = await runToEnd(["run", fixture("slow.ts"), "--json", "--cache", cache, ...slurmArgs], { PATH: `${bin}:${process.env.PATH}`, CLIPCL_TEST_SLEEP_MS: "100" })
  assert.equal(r.code, 0, JSON.stringify(r.events.filter((e) => e.type === "stage" && e.status === "failed")))
  const f = finalEvents(r.events)
  assert.deepEqual(Object.values(f).map((e: any) => e.status), ["ran", "ran", "ran"])
  const retries = r.events.filter((e) => e.type === "log" && /sbatch failed/.test(e.line)).map((e) => e.line)
  assert.equal(retries.length, 2, JSON.stringify(retries))
  assert.match(retries[0], /^\[slurm\] sbatch failed \(.*Socket timed out.*\); trying again in 1 s \(try 2 of 6\)$/)
  assert.match(retries[1], /trying again in 2 s \(try 3 of 6\)$/)
  assert.equal(Number(readFileSync(count, "utf8")), 5, "two failed calls, then one per stage")
  assert.deepEqual(ledgerRows(cache).map((row) => row.state), ["taken", "taken", "taken"], "one job per stage, none submitted twice")
  assert.equal(slurmJobs(cache, "fixture-slow").length, 3)
})

slurmTest("a job over its time limit fails with Slurm's TIMEOUT, its reason and a hint; not retried", async () => {
  const cache = join(tmp.dir, "timeout.sqlite")
  mkdirSync(join(tmp.dir, "timeout"), { recursive: true })
  // One minute, Slurm's smallest limit; slurmctld enforces limits every 30 s, so this takes 1 to 1.5 min.
  const short = writeSettings(join(tmp.dir, "timeout"), { kinds: { sleep: { time: "1" } } })
  const r = await runToEnd(["run", fixture("slow.ts"), "--json", "--cache", cache, "--executor", "slurm", "--slurm-config", short], { CLIPCL_TEST_SLEEP_MS: "600000" })
  assert.equal(r.code, 1)
  const f = finalEvents(r.events)
  assert.equal(f.total.status, "ran")
  assert.equal(f.sleep.status, "failed")
  assert.equal(f.sleep.jobState, "TIMEOUT")
  assert.match(f.sleep.error.message, /^job \d+ ran out of time \(Slurm: TIMEOUT, reason TimeLimit.*\); raise the time limit of 'sleep' stages \(settings kinds\.sleep\.time, or --time\)$/)
  assert.deepEqual(ledgerRows(cache).filter((row) => row.stage === "sleep").map((row) => row.state), ["failed"], "not retried")
})
