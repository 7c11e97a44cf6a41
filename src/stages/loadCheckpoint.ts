/**
 * `loadCheckpoint`: a CLIP checkpoint the user points to (a safetensors file
 * as written by `ClipModel.toSafetensors`, e.g. converted ViT-B/32 weights)
 * as a stage output, so pipelines can fine-tune real weights. Nothing
 * downloads. The file's SHA-256 is a parameter (see `checkpointFile`, which
 * hashes the bytes when the pipeline is defined), so the stage key changes
 * when the file's content does, not just its path; the stage re-checks the
 * hash when it runs.
 *
 * @since 0.1.0
 */
import { Data, Schema } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { checkpoint, stage } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"

/**
 * The checkpoint file cannot be used; names the file.
 *
 * @since 0.1.0
 * @category errors
 */
export class CheckpointFileError extends Data.TaggedError("CheckpointFileError")<{
  readonly file: string
  readonly reason: string
}> {
  override get message() {
    return `loadCheckpoint: ${this.file}: ${this.reason}`
  }
}

const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")

const readBytes = (file: string): Uint8Array => {
  try {
    return fs.readFileSync(file)
  } catch (e) {
    throw new CheckpointFileError({ file, reason: (e as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (e as Error).message })
  }
}

/**
 * Parameters of `loadCheckpoint` for a file: its path and content hash.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkpointFile = (file: string): { readonly path: string; readonly sha256: string } => ({ path: file, sha256: sha256(readBytes(file)) })

/** @since 0.1.0 @category stages */
export const loadCheckpoint = stage({
  name: "loadCheckpoint",
  version: 1,
  params: Schema.Struct({ path: Schema.String, sha256: Schema.String }),
  output: checkpoint,
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params }) => {
    const bytes = readBytes(params.path)
    const got = sha256(bytes)
    if (got !== params.sha256) throw new CheckpointFileError({ file: params.path, reason: `content changed (sha256 ${got}, expected ${params.sha256})` })
    // Parsed once to fail here, naming the file, rather than in the stage that reads it; the
    // CLIP model code (TensorFlow.js) loads only now.
    const { clipFromSafetensors } = await import("../clip/model.js")
    const model = clipFromSafetensors(bytes, { file: params.path })
    model.dispose()
    return bytes
  }
})
