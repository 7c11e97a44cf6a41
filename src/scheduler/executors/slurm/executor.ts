/**
 * The Slurm executor: each stage instance that must run becomes one batch
 * job running `clipcl job run DIR` (see `../protocol.ts`). The coordinator
 * stays the cache's only writer.
 *
 * - The completion marker decides; Slurm's state is a hint. One poller asks
 *   `squeue --name NAME --states=all` once per round for every job of the
 *   run (backing off while nothing changes); a job out of the queue with no
 *   marker is asked about with `scontrol show job`, and is lost after a
 *   grace period.
 * - Jobs are submitted with `--no-requeue`: clipcl owns retries. A lost,
 *   preempted, node-failed or externally cancelled job is resubmitted (up to
 *   `retries` times) avoiding the node it ran on; an error inside the stage,
 *   a refusal, TIMEOUT and OUT_OF_MEMORY fail the stage (the last two with a
 *   hint). Transient `sbatch` errors are retried with backoff.
 * - Every job is in the job ledger before `sbatch` returns to the caller, so
 *   a later run reattaches: it takes in what finished, waits on what is
 *   queued or running, and resubmits only what was lost.
 * - Interruption cancels the stage's job (`scancel`), records the run as
 *   interrupted and stores nothing.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { existsSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Data, Deferred, Effect, Exit, type Scope } from "effect"
import type { CacheKey, ContentHash } from "../../../cache/CacheStore.js"
import type { JobLedger, JobRow } from "../../../cache/JobLedger.js"
import { StageFailed } from "../../errors.js"
import type { Executor } from "../../Executor.js"
import type { Node, Override } from "../../resolve.js"
import type { StageOutcome, StageRunContext } from "../../runStage.js"
import { files, readResult, type JobResult } from "../protocol.js"
import { prepareAttempt, recordJobRun, tailOf, takeIn, type AttemptFacts, type SpoolContext } from "../spool.js"
import { endedJob, judgeEnded, type EndedJob } from "./ended.js"
import { retryTransient, SBATCH_RETRY, sbatch, scancel, showJob, showPartition, squeueByName, type SlurmCommandFailed } from "./commands.js"
import { formatSlurmTime, parseSlurmTime, requestFor, type SlurmRequest, type SlurmSettings } from "./settings.js"

/**
 * Requests the partition cannot satisfy (exit 2, nothing submitted).
 *
 * @since 0.1.0
 * @category errors
 */
export class SlurmRequestInvalid extends Data.TaggedError("SlurmRequestInvalid")<{ readonly partition: string; readonly problems: ReadonlyArray<string> }> {
  override get message(): string {
    return `partition '${this.partition}' cannot run ${this.problems.length === 1 ? "this stage" : "these stages"}:\n${this.problems.map((p) => `  ${p}`).join("\n")}`
  }
}

/** Slurm states of a job that is still queued or running. */
const ACTIVE = new Set(["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD"])

/**
 * The job name all of a pipeline's jobs on one cache share: one `squeue`
 * call finds them all, this run's and an earlier coordinator's.
 *
 * @since 0.1.0
 * @category utils
 */
export const jobName = (cachePath: string, pipeline: string): string =>
  `clipcl-${createHash("sha256").update(`${cachePath}\u0000${pipeline}`).digest("hex").slice(0, 10)}`

/**
 * Check every request against the partition before anything is submitted.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkRequests = (
  settings: SlurmSettings,
  nodes: ReadonlyArray<Node>
): Effect.Effect<void, SlurmRequestInvalid | SlurmCommandFailed> =>
  Effect.gen(function* () {
    const p = yield* showPartition(settings.partition, parseSlurmTime)
    const problems: Array<string> = []
    if (!/^UP/.test(p.state)) problems.push(`partition state is ${p.state}`)
    const seen = new Set<string>()
    for (const node of nodes) {
      const r = requestFor(settings, node)
      const cpuLimit = Math.min(p.nodeCpus, p.maxCpusPerNode)
      const memLimit = Math.min(p.nodeMemMB, p.maxMemPerNodeMB)
      const say = (what: string) => {
        const line = `${node.name} (${node.def.name}): ${what}`
        if (!seen.has(line)) seen.add(line), problems.push(line)
      }
      if (r.cpus > cpuLimit) say(`asks for ${r.cpus} CPUs, nodes have at most ${cpuLimit}`)
      if (r.memMB > memLimit) say(`asks for ${r.memMB} MB of memory, nodes have at most ${memLimit} MB`)
      if (r.minutes > p.maxMinutes) say(`asks for ${formatSlurmTime(r.minutes)}, the partition's MaxTime is ${formatSlurmTime(p.maxMinutes)}`)
      if (r.gpus > 0 && settings.gres !== undefined && !p.gres.some((g) => g.startsWith(`${settings.gres}:`) || g === settings.gres)) {
        say(`asks for ${r.gpus} ${settings.gres}, the partition's nodes offer none`)
      }
    }
    if (problems.length > 0) return yield* new SlurmRequestInvalid({ partition: p.name, problems })
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface SlurmExecutorOptions {
  readonly settings: SlurmSettings
  readonly ledger: JobLedger
  readonly cachePath: string
  readonly pipeline: string
  /** The pipeline file, absolute. */
  readonly file: string
  readonly overrides: ReadonlyArray<Override>
}

/** How waiting on a job ended. */
type Waited =
  | { readonly _tag: "Marked"; readonly result: JobResult }
  | ({ readonly _tag: "Ended" } & EndedJob)

interface Tracked {
  readonly jobId: string
  readonly dir: string
  readonly done: Deferred.Deferred<Waited>
  state: string | undefined
  node: string | undefined
  goneSince: number | undefined
  readonly onChange: (state: string, node: string | undefined) => void
}

/** Remove spool objects whose only link is the object store's own. */
const pruneObjects = (spool: string): void => {
  const dir = join(spool, "objects")
  let names: Array<string>
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const n of names) {
    try {
      const p = join(dir, n)
      if (statSync(p).nlink === 1) unlinkSync(p)
    } catch {
      /* raced with another coordinator: leave it */
    }
  }
}

/** The command a job runs: this very clipcl, with this Node.js. */
const jobScript = (dir: string): string => {
  const bin = fileURLToPath(new URL("../../../../bin/clipcl.js", import.meta.url))
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  return `#!/bin/sh\n# Written by clipcl: one stage attempt (see job.json beside it).\nexec ${q(process.execPath)} ${q(bin)} job run ${q(dir)}\n`
}

/**
 * A Slurm executor for one run (its poller lives in the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSlurmExecutor = (o: SlurmExecutorOptions): Effect.Effect<Executor, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { settings, ledger } = o
    const name = jobName(o.cachePath, o.pipeline)
    const tracked = new Map<string, Tracked>()
    const submitLock = yield* Effect.makeSemaphore(1)
    let lastSubmit = 0

    // Shared input objects no attempt directory links any more are dropped when the run ends.
    yield* Effect.addFinalizer(() => Effect.sync(() => pruneObjects(settings.spool)))

    // ---- the poller: one squeue per round for every job of the run ------
    const round = Effect.gen(function* () {
      if (tracked.size === 0) return false
      const queue = yield* Effect.either(squeueByName(name))
      let changed = false
      const now = Date.now()
      for (const t of [...tracked.values()]) {
        const marked = yield* Effect.either(readResult(t.dir))
        if (marked._tag === "Right" && marked.right !== undefined) {
          tracked.delete(t.jobId)
          yield* Deferred.succeed(t.done, { _tag: "Marked", result: marked.right })
          changed = true
          continue
        }
        // No answer from squeue this round: nothing can be concluded.
        if (queue._tag === "Left") continue
        const q = queue.right.get(t.jobId)
        if (q !== undefined && (q.state !== t.state || (q.node || undefined) !== t.node)) {
          t.state = q.state
          t.node = q.node || t.node
          t.onChange(q.state, t.node)
          changed = true
        }
        if (q !== undefined && ACTIVE.has(q.state)) {
          t.goneSince = undefined
          continue
        }
        // Out of the queue (or ended) without a marker: give the marker a grace period to appear.
        t.goneSince ??= now
        changed = true
        if (now - t.goneSince < settings.lostGraceMs) continue
        const info = yield* showJob(t.jobId)
        tracked.delete(t.jobId)
        yield* Deferred.succeed(t.done, { _tag: "Ended", ...endedJob(t.jobId, info, q) })
      }
      return changed
    })
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        let interval = settings.pollMs
        for (;;) {
          yield* Effect.sleep(interval)
          const changed = yield* round
          interval = changed || tracked.size === 0 ? settings.pollMs : Math.min(settings.maxPollMs, Math.ceil(interval * 1.5))
        }
      })
    )

    // ---- submitting -------------------------------------------------------
    const sbatchArgs = (r: SlurmRequest, dir: string, exclude: ReadonlyArray<string>): Array<string> => [
      `--job-name=${name}`,
      `--comment=${dir}`,
      "--no-requeue",
      `--output=${join(dir, files.slurmOut)}`,
      `--chdir=${process.cwd()}`,
      `--cpus-per-task=${r.cpus}`,
      `--mem=${r.memMB}M`,
      `--time=${formatSlurmTime(r.minutes)}`,
      ...(r.gpus > 0 && settings.gres !== undefined ? [`--gres=${settings.gres}:${r.gpus}`] : []),
      ...(settings.partition ? [`--partition=${settings.partition}`] : []),
      ...(settings.account ? [`--account=${settings.account}`] : []),
      ...(settings.qos ? [`--qos=${settings.qos}`] : []),
      ...(exclude.length > 0 ? [`--exclude=${exclude.join(",")}`] : []),
      ...settings.sbatchArgs,
      join(dir, files.script)
    ]

    /** sbatch with rate limiting and backoff on transient errors (each retry said in the stage's log). */
    const submitWithRetry = (args: ReadonlyArray<string>, log: (line: string) => void) =>
      submitLock.withPermits(1)(
        retryTransient(
          Effect.gen(function* () {
            const wait = lastSubmit + 1000 / settings.submitRate - Date.now()
            if (wait > 0) yield* Effect.sleep(wait)
            lastSubmit = Date.now()
            return yield* sbatch(args)
          }),
          SBATCH_RETRY,
          (e, waitMs, nextTry) => Effect.sync(() => log(`sbatch failed (${e.detail}); trying again in ${waitMs / 1000} s (try ${nextTry} of ${SBATCH_RETRY.tries})`))
        )
      )

    const run = (rc: StageRunContext, node: Node, key: CacheKey, inputs: Readonly<Record<string, ContentHash>>): Effect.Effect<StageOutcome> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function* () {
          const sc: SpoolContext = { spool: settings.spool, cache: rc.cache, pipeline: o.pipeline, file: o.file, overrides: o.overrides, backend: rc.backend }
          const t0 = Date.now()
          const publish = (extra: { jobId: string; jobState?: string; node?: string; attempt: number; queueWaitMs?: number }) =>
            rc.sink.unsafePublish({ type: "stage", stage: node.name, key, status: "running", executor: "slurm", time: Date.now(), ...extra })
          const log = (line: string) => rc.sink.unsafePublish({ type: "log", stage: node.name, key, level: "info", line: `[slurm] ${line}`, time: Date.now() })
          const failed = (detail: string, facts: AttemptFacts | undefined, logTail: string, jobState?: string) =>
            Effect.gen(function* () {
              if (facts !== undefined) {
                yield* recordJobRun(sc, node, key, inputs, facts, { status: "failed", output: null, error: detail, logTail, metrics: null, startedAt: t0, endedAt: Date.now() }).pipe(Effect.ignore)
              }
              return {
                _tag: "Failed",
                failure: new StageFailed({ stage: node.name, detail }),
                durationMs: Date.now() - t0,
                ...(facts
                  ? { job: { jobId: facts.jobId, attempt: facts.attempt, ...(facts.node ? { node: facts.node } : {}), ...(jobState ? { jobState } : {}), ...(facts.queueWaitMs !== undefined ? { queueWaitMs: facts.queueWaitMs } : {}) } }
                  : {})
              } as const
            })

          /** Submit attempt `attempt`; the ledger row carries the job id before this returns. */
          const submit = (attempt: number, exclude: ReadonlyArray<string>) =>
            Effect.gen(function* () {
              const prepared = yield* Effect.either(prepareAttempt(sc, node, key, inputs, attempt))
              if (prepared._tag === "Left") return prepared
              const { dir } = prepared.right
              writeFileSync(join(dir, files.script), jobScript(dir), { mode: 0o755 })
              const submittedAt = Date.now()
              const rowId = ledger.insert({ key, pipeline: o.pipeline, stage: node.name, executor: "slurm", attempt, dir, submittedAt, exclude: exclude.length ? exclude.join(",") : null })
              const id = yield* Effect.either(submitWithRetry(sbatchArgs(requestFor(settings, node), dir, exclude), log))
              if (id._tag === "Left") {
                ledger.update(rowId, { state: "failed", detail: id.left.message, endedAt: Date.now() })
                return { _tag: "Left", left: new StageFailed({ stage: node.name, detail: `sbatch failed: ${id.left.detail}` }) } as const
              }
              ledger.setJobId(rowId, id.right)
              return { _tag: "Right", right: { rowId, jobId: id.right, dir, attempt, submittedAt } } as const
            })

          // Reattach to an attempt an earlier coordinator left in flight.
          let current: { rowId: number; jobId: string; dir: string; attempt: number; submittedAt: number } | undefined
          const history = ledger.byKey(key)
          const exclude: Array<string> = []
          for (const row of history) if (row.state === "lost" && row.node) exclude.push(row.node)
          const open = history.find((r) => r.state === "active" || r.state === "submitting")
          if (open !== undefined) current = yield* adopt(open)
          if (current !== undefined) log(`reattached to job ${current.jobId} (attempt ${current.attempt})`)
          let attempt = Math.max(0, ...history.map((r) => r.attempt))
          const lostBefore = history.filter((r) => r.state === "lost").length
          let retriesLeft = Math.max(0, settings.retries - lostBefore)

          for (;;) {
            if (current === undefined) {
              attempt++
              const s = yield* submit(attempt, exclude)
              if (s._tag === "Left") {
                // Nothing ran: record the failed attempt like a local failure, with no job to name.
                yield* sc.cache
                  .recordRun({ key, pipeline: o.pipeline, stage: node.name, stageKind: node.def.name, preimage: { ...node.static, inputs }, params: node.static.params, inputs, output: null, outputKind: node.def.output.kind, status: "failed", startedAt: t0, endedAt: Date.now(), metrics: null, logTail: "", error: s.left.detail })
                  .pipe(Effect.ignore)
                return yield* failed(s.left.detail, undefined, "")
              }
              current = s.right
              log(`job ${current.jobId} submitted (attempt ${attempt})`)
            }
            const cur = current
            publish({ jobId: cur.jobId, jobState: "PENDING", attempt: cur.attempt })
            const done = yield* Deferred.make<Waited>()
            let queueWaitMs: number | undefined
            let nodeName: string | undefined
            tracked.set(cur.jobId, {
              jobId: cur.jobId,
              dir: cur.dir,
              done,
              state: "PENDING",
              node: undefined,
              goneSince: undefined,
              onChange: (state, n) => {
                nodeName = n
                if (state === "RUNNING" && queueWaitMs === undefined) {
                  queueWaitMs = Date.now() - cur.submittedAt
                  ledger.update(cur.rowId, { startedAt: Date.now(), ...(n ? { node: n } : {}) })
                }
                publish({ jobId: cur.jobId, jobState: state, attempt: cur.attempt, ...(n ? { node: n } : {}), ...(queueWaitMs !== undefined ? { queueWaitMs } : {}) })
              }
            })
            const exit = yield* Effect.exit(restore(Deferred.await(done)))
            if (Exit.isFailure(exit)) {
              // Interrupted (Ctrl-C, --fail-fast): cancel the job, record, store nothing.
              tracked.delete(cur.jobId)
              yield* scancel([cur.jobId])
              ledger.update(cur.rowId, { state: "cancelled", endedAt: Date.now(), detail: "interrupted" })
              const facts: AttemptFacts = { executor: "slurm", jobId: cur.jobId, attempt: cur.attempt, submittedAt: cur.submittedAt, ...(nodeName ? { node: nodeName } : {}) }
              yield* recordJobRun(sc, node, key, inputs, facts, { status: "interrupted", output: null, error: "interrupted", logTail: "", metrics: null, startedAt: t0, endedAt: Date.now() }).pipe(Effect.ignore)
              return yield* Effect.interrupt
            }
            const waited = exit.value
            if (waited._tag === "Marked") {
              const r = waited.result
              const facts: AttemptFacts = { executor: "slurm", jobId: cur.jobId, attempt: cur.attempt, submittedAt: cur.submittedAt, node: r.node, ...(queueWaitMs !== undefined ? { queueWaitMs } : {}) }
              const outcome = yield* takeIn(sc, node, key, inputs, cur.dir, r, facts)
              ledger.update(cur.rowId, { state: outcome._tag === "Ran" ? "taken" : "failed", node: r.node, startedAt: r.startedAt, endedAt: r.endedAt, ...(outcome._tag === "Failed" ? { detail: outcome.failure.detail } : {}) })
              // The run record holds the log; a failed attempt's directory (and Slurm's output file) is kept.
              if (outcome._tag === "Ran") rmSync(cur.dir, { recursive: true, force: true })
              return outcome
            }
            // Ended without a marker.
            const facts: AttemptFacts = { executor: "slurm", jobId: cur.jobId, attempt: cur.attempt, submittedAt: cur.submittedAt, ...(waited.node ? { node: waited.node } : {}), ...(queueWaitMs !== undefined ? { queueWaitMs } : {}) }
            const out = tailOf(join(cur.dir, files.slurmOut))
            const keepLog = out.length > 0 ? `--- ${files.slurmOut} (${join(cur.dir, files.slurmOut)}) ---\n${out}` : ""
            const verdict = judgeEnded(waited, node.def.name, join(cur.dir, files.slurmOut))
            if (verdict._tag === "Retry") {
              ledger.update(cur.rowId, { state: "lost", endedAt: Date.now(), detail: verdict.said, ...(waited.node ? { node: waited.node } : {}) })
              if (retriesLeft > 0) {
                retriesLeft--
                if (waited.node) for (const n of waited.node.split(",")) if (!exclude.includes(n)) exclude.push(n)
                log(`job ${cur.jobId} lost (${verdict.said}); retrying${exclude.length ? ` without ${exclude.join(",")}` : ""}`)
                current = undefined
                continue
              }
              return yield* failed(`job ${cur.jobId} lost (${verdict.said}) and no retries are left (--retries ${settings.retries})`, facts, keepLog, waited.state)
            }
            ledger.update(cur.rowId, { state: "failed", endedAt: Date.now(), detail: verdict.said })
            return yield* failed(verdict.detail, facts, keepLog, waited.state)
          }
        })
      )

    /** Pick up an earlier coordinator's attempt; undefined when it must be submitted again. */
    const adopt = (row: JobRow) =>
      Effect.gen(function* () {
        if (row.jobId !== null) return { rowId: row.id, jobId: row.jobId, dir: row.dir, attempt: row.attempt, submittedAt: row.submittedAt }
        // Killed between writing the row and learning the job id: find the job by its spool directory.
        const queue = yield* Effect.either(squeueByName(name))
        const found = queue._tag === "Right" ? [...queue.right.values()].find((q) => q.comment === row.dir) : undefined
        if (found !== undefined) {
          ledger.setJobId(row.id, found.id)
          return { rowId: row.id, jobId: found.id, dir: row.dir, attempt: row.attempt, submittedAt: row.submittedAt }
        }
        if (existsSync(join(row.dir, files.marker))) {
          ledger.setJobId(row.id, "unknown")
          return { rowId: row.id, jobId: "unknown", dir: row.dir, attempt: row.attempt, submittedAt: row.submittedAt }
        }
        ledger.update(row.id, { state: "lost", endedAt: Date.now(), detail: "the submitting coordinator died before sbatch returned; no such job found" })
        return undefined
      })

    return { name: "slurm", run, allotsResources: true } satisfies Executor
  })
