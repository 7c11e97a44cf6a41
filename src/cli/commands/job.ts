/**
 * `clipcl job run DIR`: what runs inside a cluster job. Reads the attempt's
 * description, loads the pipeline file as this node sees it, refuses when
 * the stage's code fingerprint (or key) differs, verifies the inputs, runs
 * the stage through the same code path as a local run and writes output,
 * result and completion marker (see `scheduler/executors/protocol.ts`).
 * Never opens the cache. Exit 0 ok, 1 the stage failed, 3 refused.
 *
 * @since 0.1.0
 */
import { hostname } from "node:os"
import { Effect, Either } from "effect"
import type { Command } from "../args.js"
import { loadPipeline } from "../load.js"
import type { CliIO } from "../io.js"
import { pinThreadsToAllotment } from "../../backend/cpus.js"
import { readDescription, writeResult } from "../../scheduler/executors/protocol.js"
import { runJob } from "../../scheduler/executors/runJob.js"
import { resolvePipeline } from "../../scheduler/runPipeline.js"
import { initBackend } from "./run.js"

/**
 * @since 0.1.0
 * @category constructors
 */
export const jobCommand = (cmd: Extract<Command, { _tag: "job" }>, io: CliIO) =>
  Effect.gen(function* () {
    // Before anything loads the native addon: OpenBLAS reads its thread count once.
    const cpus = pinThreadsToAllotment()
    const d = yield* readDescription(cmd.dir)
    const log = (line: string) => io.stdout(`${line}\n`)
    log(`clipcl job: ${d.pipeline} / ${d.instance} (${d.kind}), attempt ${d.attempt}, key ${d.key.slice(0, 12)}, ${cpus} cpu${cpus === 1 ? "" : "s"}`)
    const startedAt = Date.now()
    const refuse = (message: string) => {
      log(`refused: ${message}`)
      writeResult(cmd.dir, {
        protocol: 1,
        status: "refused",
        error: { message },
        logTail: `refused: ${message}`,
        metrics: null,
        startedAt,
        endedAt: Date.now(),
        node: process.env.SLURMD_NODENAME || hostname(),
        ...(process.env.SLURM_JOB_ID ? { jobId: process.env.SLURM_JOB_ID } : {}),
        cpus
      })
      return 3
    }
    const loaded = yield* Effect.either(Effect.flatMap(loadPipeline(d.file), (p) => resolvePipeline(p, { file: d.file, overrides: d.overrides })))
    if (Either.isLeft(loaded)) return refuse(`the pipeline does not load here: ${loaded.left.message}`)
    const backend = yield* Effect.either(initBackend(d.backend))
    if (Either.isLeft(backend)) return refuse(backend.left.message)
    const result = yield* runJob(cmd.dir, loaded.right.dag, d, { backend: backend.right.description, cpus, log })
    log(`clipcl job: ${result.status} in ${((result.endedAt - result.startedAt) / 1000).toFixed(1)} s`)
    return result.status === "ok" ? 0 : result.status === "refused" ? 3 : 1
  })
