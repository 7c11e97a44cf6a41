/**
 * The job side of the job protocol (`clipcl job run DIR`): check that this
 * code computes the same stage as the coordinator asked for, verify the
 * inputs, run the stage through `runStage` (the same code path as a local
 * run, on a private in-memory store that lives only for this job), write
 * the output, then the result, then the completion marker.
 *
 * @since 0.1.0
 */
import { createReadStream } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { CacheStore, cacheStoreMemory, type CacheKey, type ContentHash } from "../../cache/CacheStore.js"
import { fromCallback } from "../EventSink.js"
import { stageKey } from "../keys.js"
import type { Dag } from "../resolve.js"
import { runStage } from "../runStage.js"
import { files, hashFile, writeAtomic, writeResult, type JobDescription, type JobResult } from "./protocol.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RunJobOptions {
  readonly backend: string | undefined
  /** CPUs the thread pools were sized to. */
  readonly cpus: number
  /** Where log lines go as they come (Slurm's output file). */
  readonly log: (line: string) => void
}

const short = (h: string) => h.slice(0, 12)

/**
 * Why this process must not run the described stage, or undefined.
 *
 * @since 0.1.0
 * @category utils
 */
export const refusal = (dag: Dag, d: JobDescription): string | undefined => {
  const at = dag.byName.get(d.instance)
  if (at === undefined) return `stage instance '${d.instance}' is not in ${d.file} as this node loads it`
  const node = dag.nodes[at]!
  if (node.static.kind !== d.kind) return `stage '${d.instance}' is of kind '${node.static.kind}' here, '${d.kind}' in the job`
  if (node.static.version !== d.version) return `stage kind '${d.kind}' is version ${node.static.version} here, ${d.version} in the job`
  if (node.static.fingerprint !== d.fingerprint) {
    return `code fingerprint differs: this node's code of '${d.kind}' is ${short(node.static.fingerprint)}, the job was submitted with ${short(d.fingerprint)} (the pipeline or stage code changed after submission, or the node has another version of clipcl)`
  }
  const inputs = Object.fromEntries(Object.entries(d.inputs).map(([k, v]) => [k, v.hash as ContentHash]))
  const key = stageKey(node.static, inputs)
  if (key !== d.key) return `key differs: computed ${short(key)} here, the job has ${short(d.key)} (params, seed or environment differ)`
  return undefined
}

/**
 * Run a described job in `dir` against the pipeline as resolved here;
 * writes the output, the result and the marker. Interruption (scancel's
 * SIGTERM) leaves no marker: the coordinator sees the job lost or cancelled.
 *
 * @since 0.1.0
 * @category constructors
 */
export const runJob = (dir: string, dag: Dag, d: JobDescription, options: RunJobOptions): Effect.Effect<JobResult> =>
  Effect.gen(function* () {
    const startedAt = Date.now()
    const base = {
      protocol: 1 as const,
      node: process.env.SLURMD_NODENAME || hostname(),
      ...(process.env.SLURM_JOB_ID ? { jobId: process.env.SLURM_JOB_ID } : {}),
      cpus: options.cpus,
      startedAt
    }
    const finish = (r: Omit<JobResult, "protocol" | "node" | "jobId" | "cpus" | "startedAt" | "endedAt">): JobResult => {
      const result: JobResult = { ...base, ...r, endedAt: Date.now() }
      writeResult(dir, result)
      return result
    }
    const refused = refusal(dag, d)
    if (refused !== undefined) {
      options.log(`refused: ${refused}`)
      return finish({ status: "refused", error: { message: refused }, logTail: `refused: ${refused}`, metrics: null })
    }
    const node = dag.nodes[dag.byName.get(d.instance)!]!
    for (const [name, input] of Object.entries(d.inputs)) {
      const got = yield* Effect.promise(() => hashFile(join(dir, input.path)).catch((e: Error) => `unreadable (${e.message})`))
      if (got !== input.hash) {
        const message = `input '${name}' does not match its hash: expected ${short(input.hash)}, the spool file is ${got.length === 64 ? short(got) : got}`
        options.log(message)
        return finish({ status: "failed", error: { message }, logTail: message, metrics: null })
      }
    }
    return yield* Effect.gen(function* () {
      const cache = yield* CacheStore
      const inputs: Record<string, ContentHash> = {}
      for (const [name, input] of Object.entries(d.inputs)) {
        inputs[name] = yield* Effect.orDie(cache.putArtifact(input.kind, createReadStream(join(dir, input.path)) as AsyncIterable<Uint8Array>))
      }
      const sink = fromCallback((e) => {
        if (e.type === "log") options.log(e.level === "info" ? e.line : `[${e.level}] ${e.line}`)
        else if (e.type === "progress" && e.step === e.total) options.log(`progress ${e.step}/${e.total}`)
      })
      const rc = { cache, sink, pipeline: d.pipeline, backend: options.backend, progressIntervalMs: 1000 }
      const outcome = yield* runStage(rc, node, d.key as CacheKey, inputs)
      const record = (yield* Effect.orDie(cache.runs({ limit: 1 })))[0]
      const logTail = record?.logTail ?? ""
      const metrics = record?.metrics ?? null
      if (outcome._tag === "Failed") {
        const cause = outcome.failure.cause instanceof Error ? outcome.failure.cause.stack : undefined
        options.log(`failed: ${outcome.failure.detail}`)
        return finish({ status: "failed", error: { message: outcome.failure.detail, ...(cause ? { cause } : {}) }, logTail, metrics })
      }
      // readArtifact verifies the bytes against the hash the store named them by.
      const bytes = yield* Effect.orDie(cache.readArtifact(outcome.output))
      writeAtomic(join(dir, files.output), bytes)
      const written = { hash: outcome.output as string, size: bytes.length }
      return finish({ status: "ok", output: { hash: written.hash, kind: d.output.kind, size: written.size, path: files.output }, logTail, metrics })
    }).pipe(Effect.provide(cacheStoreMemory()))
  })
