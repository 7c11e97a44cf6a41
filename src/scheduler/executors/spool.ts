/**
 * The coordinator side of the job protocol: lay out an attempt directory
 * (inputs first, the description last) and take a marked result in (re-hash
 * the output while storing it, then record the run). Shared by every
 * executor that runs stages as jobs; only how a job is started and watched
 * differs (Slurm here, Kubernetes Jobs later).
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import { createReadStream, existsSync, mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Stream } from "effect"
import type { CacheKey, CacheStoreService, ContentHash, RunRecord } from "../../cache/CacheStore.js"
import type { AnyOutputSpec } from "../../dsl/Output.js"
import { StageFailed } from "../errors.js"
import type { Node, Override } from "../resolve.js"
import type { JobFacts, StageOutcome } from "../runStage.js"
import { files, placeInput, writeAtomic, type JobDescription, type JobResult } from "./protocol.js"

/**
 * What every attempt of a run shares.
 *
 * @since 0.1.0
 * @category models
 */
export interface SpoolContext {
  readonly spool: string
  readonly cache: CacheStoreService
  readonly pipeline: string
  /** The pipeline file, absolute. */
  readonly file: string
  readonly overrides: ReadonlyArray<Override>
  readonly backend: string | undefined
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60)

/**
 * Create an attempt directory and fill it: inputs (written atomically,
 * hard-linked from the spool's shared objects), then the description.
 *
 * @since 0.1.0
 * @category constructors
 */
export const prepareAttempt = (
  sc: SpoolContext,
  node: Node,
  key: CacheKey,
  inputs: Readonly<Record<string, ContentHash>>,
  attempt: number
): Effect.Effect<{ readonly dir: string; readonly description: JobDescription }, StageFailed> =>
  Effect.tryPromise({
    try: async () => {
      const dir = join(sc.spool, safe(sc.pipeline), `${safe(node.name)}.${key.slice(0, 12)}.a${attempt}.${randomBytes(3).toString("hex")}`)
      mkdirSync(join(dir, files.inputs), { recursive: true })
      const described: Record<string, { hash: string; kind: AnyOutputSpec["kind"]; path: string }> = {}
      for (const [name, hash] of Object.entries(inputs)) {
        const kind = (node.def.inputs as Record<string, AnyOutputSpec>)[name]!.kind
        const path = `${files.inputs}/${safe(name)}`
        await placeInput(sc.spool, hash, () => Stream.toAsyncIterable(sc.cache.streamArtifact(hash)), join(dir, path))
        described[name] = { hash, kind, path }
      }
      const description: JobDescription = {
        protocol: 1,
        key,
        preimage: { ...node.static, inputs },
        pipeline: sc.pipeline,
        file: sc.file,
        instance: node.name,
        overrides: sc.overrides.map((o) => ({ stage: o.stage, path: [...o.path], value: o.value })),
        kind: node.static.kind,
        version: node.static.version,
        fingerprint: node.static.fingerprint,
        params: node.static.params,
        seed: node.static.seed,
        inputs: described,
        output: { kind: node.def.output.kind },
        ...(sc.backend !== undefined ? { backend: sc.backend } : {}),
        attempt,
        createdAt: Date.now()
      }
      writeAtomic(join(dir, files.description), JSON.stringify(description, null, 1) + "\n")
      return { dir, description }
    },
    catch: (e) => new StageFailed({ stage: node.name, detail: `cannot prepare the job's spool directory: ${(e as Error)?.message ?? String(e)}`, cause: e })
  })

/**
 * The last lines of a text file (Slurm's output file), or "".
 *
 * @since 0.1.0
 * @category utils
 */
export const tailOf = (path: string, lines = 40): string => {
  try {
    if (!existsSync(path)) return ""
    return readFileSync(path, "utf8").split("\n").slice(-lines - 1).join("\n").trimEnd()
  } catch {
    return ""
  }
}

/**
 * How the attempt went, for the run record's log.
 *
 * @since 0.1.0
 * @category models
 */
export interface AttemptFacts extends JobFacts {
  readonly executor: string
  readonly submittedAt: number
}

/** Submit to start: as the poller saw the job start, else until the stage started inside it. */
const queueWait = (f: AttemptFacts, r: Pick<JobResult, "startedAt">): number => f.queueWaitMs ?? Math.max(0, r.startedAt - f.submittedAt)

const header = (f: AttemptFacts, r: Pick<JobResult, "startedAt" | "endedAt" | "cpus"> | undefined): string =>
  `[${f.executor}] job ${f.jobId}, attempt ${f.attempt}${f.node ? `, node ${f.node}` : ""}` +
  (r ? `, queue wait ${(queueWait(f, r) / 1000).toFixed(1)} s, run ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s, ${r.cpus} cpu${r.cpus === 1 ? "" : "s"}` : "")

/**
 * Record a run of a stage attempt that ran as a job.
 *
 * @since 0.1.0
 * @category constructors
 */
export const recordJobRun = (
  sc: SpoolContext,
  node: Node,
  key: CacheKey,
  inputs: Readonly<Record<string, ContentHash>>,
  facts: AttemptFacts,
  r: { status: RunRecord["status"]; output: ContentHash | null; error: string | null; logTail: string; metrics: RunRecord["metrics"]; startedAt: number; endedAt: number; result?: JobResult }
) =>
  sc.cache.recordRun({
    key,
    pipeline: sc.pipeline,
    stage: node.name,
    stageKind: node.def.name,
    preimage: { ...node.static, inputs },
    params: node.static.params,
    inputs,
    output: r.output,
    outputKind: node.def.output.kind,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    metrics: r.metrics,
    logTail: [header(facts, r.result), r.logTail].filter((s) => s.length > 0).join("\n"),
    error: r.error
  })

/**
 * Take a marked result in: store the output (its hash is computed again
 * from the bytes as they are stored and must equal the job's), then record
 * the run. A failed or refused job records a failed run with its message
 * and log, and Slurm's output file's tail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const takeIn = (
  sc: SpoolContext,
  node: Node,
  key: CacheKey,
  inputs: Readonly<Record<string, ContentHash>>,
  dir: string,
  result: JobResult,
  facts: AttemptFacts
): Effect.Effect<StageOutcome> =>
  Effect.gen(function* () {
    const job = { jobId: facts.jobId, attempt: facts.attempt, ...(facts.node ? { node: facts.node } : {}), queueWaitMs: queueWait(facts, result) }
    const durationMs = result.endedAt - result.startedAt
    const fail = (detail: string, logTail: string) =>
      Effect.gen(function* () {
        yield* recordJobRun(sc, node, key, inputs, facts, { status: "failed", output: null, error: detail, logTail, metrics: result.metrics, startedAt: result.startedAt, endedAt: result.endedAt, result }).pipe(Effect.ignore)
        return { _tag: "Failed", failure: new StageFailed({ stage: node.name, detail }), durationMs, job } as const
      })
    if (result.status !== "ok" || result.output === undefined) {
      const slurmTail = tailOf(join(dir, files.slurmOut))
      const detail = `${result.status === "refused" ? "job refused to run: " : ""}${result.error?.message ?? "failed"} (job ${facts.jobId} on ${result.node})`
      return yield* fail(detail, [result.logTail, slurmTail.length > 0 ? `--- ${files.slurmOut} ---\n${slurmTail}` : ""].filter((s) => s).join("\n"))
    }
    if (result.output.kind !== node.def.output.kind) return yield* fail(`job wrote a ${result.output.kind} output, the stage declares ${node.def.output.kind}`, result.logTail)
    const stored = yield* Effect.either(sc.cache.putArtifact(node.def.output.kind, createReadStream(join(dir, result.output.path)) as AsyncIterable<Uint8Array>))
    if (stored._tag === "Left") return yield* fail(`the job's output could not be stored: ${stored.left.message}`, result.logTail)
    if (stored.right !== result.output.hash) {
      return yield* fail(`the job's output does not match its hash: the job said ${result.output.hash.slice(0, 12)}, the spool file is ${stored.right.slice(0, 12)}`, result.logTail)
    }
    yield* recordJobRun(sc, node, key, inputs, facts, { status: "ok", output: stored.right, error: null, logTail: result.logTail, metrics: result.metrics, startedAt: result.startedAt, endedAt: result.endedAt, result }).pipe(Effect.orDie)
    return { _tag: "Ran", output: stored.right, durationMs, job } as const
  })
