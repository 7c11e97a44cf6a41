// How a job that ended without a result is judged (from `scontrol show job`'s
// own output) and how transient sbatch errors are retried: pure, no cluster.
import assert from "node:assert/strict"
import { test } from "node:test"
import { Effect, Either } from "effect"
import { parseJobFields, retryTransient, SlurmCommandFailed } from "../../src/scheduler/executors/slurm/commands.js"
import { endedJob, judgeEnded } from "../../src/scheduler/executors/slurm/ended.js"

/** `scontrol show job --oneliner` as Slurm 22.05 prints it, with the end fields set. */
const scontrol = (state: string, reason: string, exitCode: string, node = "n2") =>
  `JobId=42 JobName=clipcl-0123456789 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901550 Nice=0 Account=(null) QOS=(null) JobState=${state} Reason=${reason} Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=${exitCode} RunTime=00:01:03 TimeLimit=00:01:00 TimeMin=N/A SubmitTime=2026-12-03T11:56:23 Partition=debug ReqNodeList=(null) ExcNodeList=(null) NodeList=${node} BatchHost=${node} NumNodes=1 NumCPUs=2 TRES=cpu=2,mem=256M,node=1,billing=2 MinMemoryNode=256M Comment=/spool/p/finetune.abc.a1 StdOut=/spool/p/finetune.abc.a1/slurm.out\n`

const judge = (out: string) => judgeEnded(endedJob("42", parseJobFields(out)), "finetune", "/spool/p/finetune.abc.a1/slurm.out")

test("OUT_OF_MEMORY fails the stage with Slurm's reason and which setting raises the memory", () => {
  const v = judge(scontrol("OUT_OF_MEMORY", "OutOfMemory", "0:125"))
  assert.equal(v._tag, "Fail")
  assert.equal(v._tag === "Fail" && v.detail, "job 42 ran out of memory (Slurm: OUT_OF_MEMORY, reason OutOfMemory, exit code 0:125); raise the memory of 'finetune' stages (settings kinds.finetune.mem)")
})

test("TIMEOUT fails the stage with Slurm's reason and which setting raises the time limit", () => {
  const v = judge(scontrol("TIMEOUT", "TimeLimit", "0:15"))
  assert.equal(v._tag === "Fail" && v.detail, "job 42 ran out of time (Slurm: TIMEOUT, reason TimeLimit, exit code 0:15); raise the time limit of 'finetune' stages (settings kinds.finetune.time, or --time)")
})

test("node failure, preemption, cancellation and a job Slurm forgot are retried; other ends fail pointing to Slurm's output", () => {
  for (const state of ["NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "CANCELLED", "DEADLINE"]) assert.equal(judge(scontrol(state, "None", "0:0"))._tag, "Retry", state)
  // Slurm no longer knows the job (MinJobAge passed): scontrol prints nothing, squeue had nothing.
  const lost = endedJob("42", parseJobFields(""))
  assert.equal(lost.state, "LOST")
  assert.equal(judgeEnded(lost, "finetune", "x")._tag, "Retry")
  const failed = judge(scontrol("FAILED", "NonZeroExitCode", "127:0"))
  assert.equal(failed._tag === "Fail" && failed.detail, "job 42 ended without a result (Slurm: FAILED, reason NonZeroExitCode, exit code 127:0); Slurm's output is kept in /spool/p/finetune.abc.a1/slurm.out")
  // `CANCELLED by 0` is one state word; the node comes from scontrol, else from squeue.
  assert.deepEqual(endedJob("42", parseJobFields("JobState=CANCELLED by 0 Reason=None NodeList=(null)"), { state: "RUNNING", reason: "", node: "n1" }), {
    jobId: "42",
    state: "CANCELLED",
    reason: "None",
    exitCode: "",
    node: "n1"
  })
})

const transient = new SlurmCommandFailed({ command: "sbatch", detail: "Batch job submission failed: Socket timed out on send/recv operation", transient: true })
const fatal = new SlurmCommandFailed({ command: "sbatch", detail: "Invalid account or account/partition combination specified", transient: false })

/** An sbatch that fails with the given errors, then returns a job id; the calls and waits it saw. */
const fake = (errors: ReadonlyArray<SlurmCommandFailed>) => {
  let calls = 0
  const waits: Array<[number, number]> = []
  const attempt = Effect.suspend(() => {
    const e = errors[calls++]
    return e === undefined ? Effect.succeed("17") : Effect.fail(e)
  })
  const run = Effect.runPromise(Effect.either(retryTransient(attempt, { tries: 6, firstMs: 2, maxMs: 10 }, (_, ms, next) => Effect.sync(() => void waits.push([ms, next])))))
  return run.then((r) => ({ r, calls, waits }))
}

test("sbatch: transient errors are retried with a doubling, capped wait; others fail at once; the retries are bounded", async () => {
  const ok = await fake([transient, transient, transient])
  assert.deepEqual(ok.r, Either.right("17"))
  assert.equal(ok.calls, 4)
  assert.deepEqual(ok.waits, [[2, 2], [4, 3], [8, 4]])
  const bad = await fake([transient, fatal])
  assert.equal(bad.calls, 2)
  assert.ok(Either.isLeft(bad.r) && bad.r.left === fatal)
  const never = await fake(Array(10).fill(transient))
  assert.equal(never.calls, 6, "six calls in all")
  assert.deepEqual(never.waits.map(([ms]) => ms), [2, 4, 8, 10, 10])
  assert.ok(Either.isLeft(never.r) && never.r.left === transient)
})
