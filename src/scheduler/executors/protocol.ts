/**
 * The job protocol: how a stage instance travels to a process that never
 * opens the cache (a cluster job) and how its result comes back. One
 * directory per attempt, in a spool every node sees:
 *
 *   job.json        the description (written by the coordinator, last of its files)
 *   inputs/NAME     each input artifact's bytes (hard-linked from the spool's
 *                   shared `objects/HASH` where the file system allows)
 *   output          the output artifact's bytes (written by the job)
 *   result.json     ok / failed / refused, the output hash, message, log tail
 *   done            the completion marker, written last
 *
 * Every file is written to a temporary name, flushed and renamed, so a
 * reader sees a whole file or none. The coordinator trusts only a marked
 * result and re-hashes the output before it stores anything.
 *
 * @since 0.1.0
 */
import { createHash, randomBytes } from "node:crypto"
import { closeSync, createReadStream, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs"
import { join } from "node:path"
import { Data, Effect, Either, Schema } from "effect"
import type { ArtifactKind } from "../../cache/CacheStore.js"

/**
 * Version of the directory layout and of the two records.
 *
 * @since 0.1.0
 * @category utils
 */
export const PROTOCOL_VERSION = 1

const Kind = Schema.Literal("value", "tensors", "checkpoint", "table")

/**
 * What the coordinator hands a job: enough to find the stage instance in
 * the pipeline file and to check that the job computes the same key.
 *
 * @since 0.1.0
 * @category models
 */
export const JobDescription = Schema.Struct({
  protocol: Schema.Literal(PROTOCOL_VERSION),
  key: Schema.String,
  preimage: Schema.Unknown,
  pipeline: Schema.String,
  /** The pipeline file, absolute. */
  file: Schema.String,
  /** The stage instance's name in the resolved DAG. */
  instance: Schema.String,
  /** `--set` overrides the coordinator resolved the pipeline with. */
  overrides: Schema.Array(Schema.Struct({ stage: Schema.String, path: Schema.Array(Schema.String), value: Schema.Unknown })),
  kind: Schema.String,
  version: Schema.Union(Schema.Number, Schema.String),
  fingerprint: Schema.String,
  params: Schema.Unknown,
  seed: Schema.Number,
  /** Input name -> content hash, kind and file (relative to the attempt directory). */
  inputs: Schema.Record({ key: Schema.String, value: Schema.Struct({ hash: Schema.String, kind: Kind, path: Schema.String }) }),
  output: Schema.Struct({ kind: Kind }),
  backend: Schema.optional(Schema.String),
  attempt: Schema.Number,
  createdAt: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobDescription = typeof JobDescription.Type

/**
 * What a job hands back.
 *
 * @since 0.1.0
 * @category models
 */
export const JobResult = Schema.Struct({
  protocol: Schema.Literal(PROTOCOL_VERSION),
  /** `refused`: the job did not run the stage (code fingerprint or key differs). */
  status: Schema.Literal("ok", "failed", "refused"),
  output: Schema.optional(Schema.Struct({ hash: Schema.String, kind: Kind, size: Schema.Number, path: Schema.String })),
  error: Schema.optional(Schema.Struct({ message: Schema.String, cause: Schema.optional(Schema.String) })),
  logTail: Schema.String,
  metrics: Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Number })),
  startedAt: Schema.Number,
  endedAt: Schema.Number,
  /** Where it ran: Slurm's node name, else the host name. */
  node: Schema.String,
  jobId: Schema.optional(Schema.String),
  /** CPUs the job's threads were sized to. */
  cpus: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export type JobResult = typeof JobResult.Type

/**
 * A spool file is missing, unreadable or malformed.
 *
 * @since 0.1.0
 * @category errors
 */
export class SpoolError extends Data.TaggedError("SpoolError")<{ readonly path: string; readonly detail: string; readonly cause?: unknown }> {
  override get message(): string {
    return `${this.path}: ${this.detail}`
  }
}

/**
 * File names inside an attempt directory.
 *
 * @since 0.1.0
 * @category utils
 */
export const files = {
  description: "job.json",
  result: "result.json",
  marker: "done",
  output: "output",
  inputs: "inputs",
  script: "job.sh",
  slurmOut: "slurm.out"
} as const

/**
 * Write `data` to `path` atomically: a temporary file, flushed, renamed.
 *
 * @since 0.1.0
 * @category utils
 */
export const writeAtomic = (path: string, data: string | Uint8Array): void => {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`
  const fd = openSync(tmp, "w")
  try {
    const buf = typeof data === "string" ? Buffer.from(data) : data
    let off = 0
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

/**
 * Write a stream to `path` atomically and return its sha256 and size.
 *
 * @since 0.1.0
 * @category utils
 */
export const writeStreamAtomic = async (path: string, body: AsyncIterable<Uint8Array>): Promise<{ readonly hash: string; readonly size: number }> => {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`
  const h = createHash("sha256")
  let size = 0
  const fd = openSync(tmp, "w")
  try {
    for await (const piece of body) {
      h.update(piece)
      let off = 0
      while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off)
      size += piece.length
    }
    fsyncSync(fd)
  } catch (e) {
    closeSync(fd)
    try {
      unlinkSync(tmp)
    } catch {
      /* already gone */
    }
    throw e
  }
  closeSync(fd)
  renameSync(tmp, path)
  return { hash: h.digest("hex"), size }
}

/**
 * The sha256 of a file, streamed.
 *
 * @since 0.1.0
 * @category utils
 */
export const hashFile = async (path: string): Promise<string> => {
  const h = createHash("sha256")
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(piece as Buffer)
  return h.digest("hex")
}

/**
 * Put an artifact into the spool's shared object store once (by its hash),
 * then hard-link it to `dest`; copy where links are not allowed.
 *
 * @since 0.1.0
 * @category utils
 */
export const placeInput = async (spool: string, hash: string, body: () => AsyncIterable<Uint8Array>, dest: string): Promise<void> => {
  const objects = join(spool, "objects")
  mkdirSync(objects, { recursive: true })
  const obj = join(objects, hash)
  if (!existsSync(obj)) {
    const got = await writeStreamAtomic(obj, body())
    if (got.hash !== hash) {
      unlinkSync(obj)
      throw new Error(`artifact ${hash.slice(0, 12)} read back as ${got.hash.slice(0, 12)}`)
    }
  }
  try {
    linkSync(obj, dest)
  } catch {
    await writeStreamAtomic(dest, createReadStream(obj) as AsyncIterable<Uint8Array>)
  }
}

const readJson = <A, I>(schema: Schema.Schema<A, I>, path: string): Either.Either<A, SpoolError> => {
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (e) {
    return Either.left(new SpoolError({ path, detail: `cannot be read: ${(e as Error).message}`, cause: e }))
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    return Either.left(new SpoolError({ path, detail: `is not JSON: ${(e as Error).message}`, cause: e }))
  }
  return Either.mapLeft(Schema.decodeUnknownEither(schema)(json), (e) => new SpoolError({ path, detail: `malformed: ${e.message}`, cause: e }))
}

/**
 * Read and check an attempt's description.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readDescription = (dir: string): Effect.Effect<JobDescription, SpoolError> =>
  Effect.suspend(() => readJson(JobDescription, join(dir, files.description)))

/**
 * Read a marked result; `undefined` while the completion marker is absent.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readResult = (dir: string): Effect.Effect<JobResult | undefined, SpoolError> =>
  Effect.suspend(() => (existsSync(join(dir, files.marker)) ? readJson(JobResult, join(dir, files.result)) : Either.right(undefined)))

/**
 * Write a result, then the completion marker (in that order: the marker
 * promises a whole result).
 *
 * @since 0.1.0
 * @category constructors
 */
export const writeResult = (dir: string, result: JobResult): void => {
  writeAtomic(join(dir, files.result), JSON.stringify(result, null, 1) + "\n")
  writeAtomic(join(dir, files.marker), `${result.status}\n`)
}

/**
 * The artifact kind of a description's output (narrowed for the cache).
 *
 * @since 0.1.0
 * @category utils
 */
export const outputKind = (d: JobDescription): ArtifactKind => d.output.kind
