/**
 * The Slurm commands clipcl calls (`sbatch`, `squeue`, `scontrol`,
 * `scancel`, `sinfo`), each as an Effect with its output parsed. Nothing
 * here decides anything; `executor.ts` does.
 *
 * @since 0.1.0
 */
import { execFile } from "node:child_process"
import { Data, Effect } from "effect"

/**
 * A Slurm command failed (or is not installed).
 *
 * @since 0.1.0
 * @category errors
 */
export class SlurmCommandFailed extends Data.TaggedError("SlurmCommandFailed")<{ readonly command: string; readonly detail: string; readonly transient: boolean }> {
  override get message(): string {
    return `${this.command}: ${this.detail}`
  }
}

/** Errors worth retrying: the controller is busy or briefly unreachable. */
const TRANSIENT = /timed out|temporarily|try again|unable to contact|connection refused|slurm_persist|Socket|busy|Resource temporarily unavailable|Zero Bytes were transmitted/i

/**
 * Run a Slurm command; its stdout.
 *
 * @since 0.1.0
 * @category constructors
 */
export const slurm = (command: string, args: ReadonlyArray<string>, timeoutMs = 30_000): Effect.Effect<string, SlurmCommandFailed> =>
  Effect.async<string, SlurmCommandFailed>((resume) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) return resume(Effect.succeed(stdout))
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT"
      const detail = missing ? `not found (is Slurm installed, and on PATH?)` : (stderr || error.message).trim()
      resume(Effect.fail(new SlurmCommandFailed({ command, detail, transient: !missing && (TRANSIENT.test(detail) || error.killed === true) })))
    })
    return Effect.sync(() => child.kill())
  })

/**
 * Submit a batch script; the job id.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sbatch = (args: ReadonlyArray<string>): Effect.Effect<string, SlurmCommandFailed> =>
  Effect.flatMap(slurm("sbatch", ["--parsable", ...args]), (out) => {
    const id = out.trim().split(";")[0]!
    return /^\d+(_\d+)?$/.test(id) ? Effect.succeed(id) : Effect.fail(new SlurmCommandFailed({ command: "sbatch", detail: `unexpected output '${out.trim()}'`, transient: false }))
  })

/**
 * One job as `squeue` lists it.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueuedJob {
  readonly id: string
  readonly state: string
  readonly node: string
  readonly reason: string
  readonly comment: string
}

/**
 * Every job of the given name, in any state Slurm still remembers: one call.
 *
 * @since 0.1.0
 * @category constructors
 */
export const squeueByName = (name: string): Effect.Effect<ReadonlyMap<string, QueuedJob>, SlurmCommandFailed> =>
  Effect.map(slurm("squeue", [`--name=${name}`, "--states=all", "--noheader", "--format=%i|%T|%N|%r|%k"]), (out) => {
    const jobs = new Map<string, QueuedJob>()
    for (const line of out.split("\n")) {
      const [id, state, node, reason, ...comment] = line.trim().split("|")
      if (!id || !state) continue
      jobs.set(id, { id, state, node: node ?? "", reason: reason ?? "", comment: comment.join("|") })
    }
    return jobs
  })

/**
 * `scontrol show job ID` as key=value fields; empty when Slurm no longer knows the job.
 *
 * @since 0.1.0
 * @category constructors
 */
export const showJob = (id: string): Effect.Effect<Readonly<Record<string, string>>> =>
  slurm("scontrol", ["show", "job", "--oneliner", id]).pipe(Effect.map(parseJobFields), Effect.orElseSucceed(() => ({})))

/**
 * The key=value fields of `scontrol show job --oneliner` (the first of a repeated key).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseJobFields = (out: string): Readonly<Record<string, string>> => {
  const fields: Record<string, string> = {}
  for (const m of out.matchAll(/(\w+)=(\S*)/g)) fields[m[1]!] ??= m[2]!
  return fields
}

/**
 * How often and how patiently a transient failure is tried again.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryPolicy {
  /** Calls in all, the first included. */
  readonly tries: number
  readonly firstMs: number
  readonly maxMs: number
}

/**
 * `sbatch`'s: 6 calls, waiting 1 s, doubling up to 30 s (about a minute in all).
 *
 * @since 0.1.0
 * @category models
 */
export const SBATCH_RETRY: RetryPolicy = { tries: 6, firstMs: 1000, maxMs: 30_000 }

/**
 * Call `attempt` again while it fails with a transient error, by `policy`;
 * `onRetry` hears each failure before the wait. Other errors, and the last
 * transient one, fail at once.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryTransient = <A, R>(
  attempt: Effect.Effect<A, SlurmCommandFailed, R>,
  policy: RetryPolicy,
  onRetry: (error: SlurmCommandFailed, waitMs: number, nextTry: number) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<A, SlurmCommandFailed, R> =>
  Effect.gen(function* () {
    let delay = policy.firstMs
    for (let tries = 1; ; tries++) {
      const r = yield* Effect.either(attempt)
      if (r._tag === "Right") return r.right
      if (!r.left.transient || tries >= policy.tries) return yield* Effect.fail(r.left)
      yield* onRetry(r.left, delay, tries + 1)
      yield* Effect.sleep(delay)
      delay = Math.min(delay * 2, policy.maxMs)
    }
  })

/**
 * Cancel jobs (ignores jobs that already ended) and wait, up to `withinMs`,
 * until Slurm has let go of them: a cancelled job stays in `squeue` as
 * COMPLETING while its processes are killed, and a run that was stopped must
 * leave nothing of itself there.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scancel = (ids: ReadonlyArray<string>, withinMs = 15_000): Effect.Effect<void> =>
  ids.length === 0
    ? Effect.void
    : Effect.gen(function* () {
      yield* Effect.ignore(slurm("scancel", [...ids]))
      const deadline = Date.now() + withinMs
      while (Date.now() < deadline) {
        // An id squeue no longer knows is an error: gone as well.
        const listed = yield* Effect.either(slurm("squeue", ["--noheader", `--jobs=${ids.join(",")}`, "--format=%i"]))
        if (listed._tag === "Left" || listed.right.trim() === "") return
        yield* Effect.sleep(200)
      }
    })

/**
 * What a partition offers a single job.
 *
 * @since 0.1.0
 * @category models
 */
export interface PartitionInfo {
  readonly name: string
  readonly state: string
  /** Minutes (Infinity when unlimited). */
  readonly maxMinutes: number
  /** The most CPUs and memory (MB) one node of the partition has. */
  readonly nodeCpus: number
  readonly nodeMemMB: number
  readonly maxCpusPerNode: number
  readonly maxMemPerNodeMB: number
  /** Generic resources of its nodes, as sinfo prints them (e.g. gpu:4). */
  readonly gres: ReadonlyArray<string>
}

/**
 * `scontrol show partition` and `sinfo` for one partition (the default one when `name` is undefined).
 *
 * @since 0.1.0
 * @category constructors
 */
export const showPartition = (name: string | undefined, parseTime: (t: string) => number | undefined): Effect.Effect<PartitionInfo, SlurmCommandFailed> =>
  Effect.gen(function* () {
    const out = yield* slurm("scontrol", ["show", "partition", "--oneliner", ...(name ? [name] : [])])
    const lines = out.split("\n").filter((l) => l.includes("PartitionName="))
    const fieldsOf = (line: string) => Object.fromEntries([...line.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1]!, m[2]!]))
    const parts = lines.map(fieldsOf)
    const p = name ? parts.find((f) => f.PartitionName === name) : parts.find((f) => f.Default === "YES")
    if (p === undefined) {
      return yield* new SlurmCommandFailed({ command: "scontrol show partition", detail: name ? `no partition '${name}'` : "no default partition: set one with --partition", transient: false })
    }
    const nodes = yield* slurm("sinfo", ["--noheader", "--Node", `--partition=${p.PartitionName}`, "--format=%c|%m|%G"])
    let nodeCpus = 0
    let nodeMemMB = 0
    const gres = new Set<string>()
    for (const line of nodes.split("\n")) {
      const [c, m, g] = line.trim().split("|")
      if (!c) continue
      nodeCpus = Math.max(nodeCpus, Number(c) || 0)
      nodeMemMB = Math.max(nodeMemMB, Number(m) || 0)
      if (g && g !== "(null)") for (const x of g.split(",")) gres.add(x)
    }
    const unlimited = (v: string | undefined) => v === undefined || v === "UNLIMITED" || v === "INFINITE"
    return {
      name: p.PartitionName!,
      state: p.State ?? "UNKNOWN",
      maxMinutes: unlimited(p.MaxTime) ? Number.POSITIVE_INFINITY : (parseTime(p.MaxTime!) ?? Number.POSITIVE_INFINITY),
      nodeCpus,
      nodeMemMB,
      maxCpusPerNode: unlimited(p.MaxCPUsPerNode) ? Number.POSITIVE_INFINITY : Number(p.MaxCPUsPerNode),
      maxMemPerNodeMB: unlimited(p.MaxMemPerNode) ? Number.POSITIVE_INFINITY : Number(p.MaxMemPerNode),
      gres: [...gres]
    }
  })
