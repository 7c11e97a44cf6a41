/**
 * The CLIP model: every parameter a `tf.Variable` under its Hugging Face
 * name, the two towers as forward functions over those variables, and the
 * ways in (random init, safetensors of either layout) and out (Hugging Face
 * safetensors with the configuration in the metadata).
 *
 * Forward passes create no `tidy` of their own, so they work inside
 * `tf.variableGrads` / `optimizer.minimize`; callers wrap inference in
 * `tf.tidy` (or use the batched helpers in `embed.ts`).
 *
 * @since 0.1.0
 */
import { readFile, writeFile, mkdir } from "node:fs/promises"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { Effect } from "effect"
import { tf } from "../backend/tf.js"
import { checkTensors, CONFIG_METADATA_KEY, readCheckpoint, type Checkpoint, type CheckpointOptions } from "./checkpoint.js"
import { validateConfig, type ClipConfig } from "./config.js"
import { ClipConfigError, SafetensorsError, WeightsMismatchError, type ClipError } from "./errors.js"
import { paramSpecs, type ParamSpec } from "./parameters.js"
import { gaussian } from "../random.js"
import { layoutSafetensors, parseSafetensors, safetensorsBytes, safetensorsStream, type SafetensorsLayout } from "../formats/safetensors.js"
import { textTransformer } from "./textTransformer.js"
import { visionTransformer } from "./visionTransformer.js"

/**
 * Which part of the model to tune (the paper's study): a tower or both, and
 * optionally only its top `topBlocks` residual blocks (with the post-norm
 * and projection above them).
 *
 * @since 0.1.0
 * @category models
 */
export type TunePart = { readonly encoder: "all" | "image" | "text"; readonly topBlocks?: number }

/**
 * @since 0.1.0
 * @category models
 */
export interface ClipModel {
  readonly config: ClipConfig
  /** exp(logit_scale), read from the variable now. */
  readonly logitScale: number
  /** Hugging Face layout names. */
  readonly params: ReadonlyMap<string, tf.Variable>
  /** Normalised NHWC pixels [n, size, size, 3] -> projected, unnormalised features [n, embedDim]. */
  encodeImage(pixels: tf.Tensor4D): tf.Tensor2D
  /** Token ids [n, length <= contextLength] -> projected, unnormalised features [n, embedDim]. */
  encodeText(ids: number[][] | tf.Tensor2D): tf.Tensor2D
  /** exp(logit_scale), differentiable. */
  logitScaleTensor(): tf.Scalar
  trainableVariables(part: TunePart): tf.Variable[]
  /** Copies of every parameter. */
  getWeights(): Map<string, tf.Tensor>
  /** Assigns any subset of parameters; names and shapes are checked first. */
  setWeights(w: ReadonlyMap<string, tf.Tensor>): void
  /** A deep copy (teacher / previous-session model). */
  clone(): ClipModel
  /** Hugging Face layout, F32, configuration in `__metadata__`. */
  toSafetensors(): Uint8Array
  /**
   * The same bytes as `toSafetensors`, streamed as views of the parameters'
   * values without concatenating them: what a stage returns as its
   * checkpoint. The values are read at the call, so the model may be
   * disposed before the stream is consumed.
   */
  toSafetensorsStream(): AsyncIterable<Uint8Array>
  save(path: string): Promise<void>
  dispose(): void
}

/**
 * Options for loading: overrides for the fields shapes cannot give (head
 * counts, activation, eps). `loadClip` also reads a `config.json` or
 * `open_clip_config.json` beside the file.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadOptions {
  readonly config?: Partial<ClipConfig>
}

class Clip implements ClipModel {
  readonly params: ReadonlyMap<string, tf.Variable>
  readonly #specs: ReadonlyArray<ParamSpec>
  readonly #lookup = (name: string): tf.Tensor => {
    const v = this.params.get(name)
    if (v === undefined) throw new ClipConfigError({ source: "ClipModel", field: name, reason: "no such parameter" })
    return v
  }

  constructor(readonly config: ClipConfig, params: Map<string, tf.Variable>) {
    this.params = params
    this.#specs = paramSpecs(config)
  }

  get logitScale(): number {
    return Math.exp(this.params.get("logit_scale")!.dataSync()[0]!)
  }

  encodeImage(pixels: tf.Tensor4D): tf.Tensor2D {
    return visionTransformer(pixels, this.#lookup, this.config)
  }

  encodeText(ids: number[][] | tf.Tensor2D): tf.Tensor2D {
    return textTransformer(ids, this.#lookup, this.config)
  }

  logitScaleTensor(): tf.Scalar {
    return tf.exp(this.params.get("logit_scale")!) as tf.Scalar
  }

  trainableVariables(part: TunePart): tf.Variable[] {
    return selectParams(this.config, this.#specs, part).map((s) => this.params.get(s.name)!)
  }

  getWeights(): Map<string, tf.Tensor> {
    return new Map([...this.params].map(([n, v]) => [n, tf.clone(v)]))
  }

  setWeights(w: ReadonlyMap<string, tf.Tensor>): void {
    const unexpected = [...w.keys()].filter((n) => !this.params.has(n))
    const misshaped = [...w].flatMap(([n, t]) => {
      const v = this.params.get(n)
      if (v === undefined || tf.util.arraysEqual(v.shape, t.shape)) return []
      return [{ name: n, expected: v.shape, actual: t.shape }]
    })
    if (unexpected.length + misshaped.length > 0) {
      throw new WeightsMismatchError({ file: "<setWeights>", missing: [], unexpected, misshaped })
    }
    for (const [n, t] of w) {
      if (t.dtype === "float32") this.params.get(n)!.assign(t)
      else tf.tidy(() => this.params.get(n)!.assign(tf.cast(t, "float32")))
    }
  }

  clone(): ClipModel {
    return new Clip(this.config, new Map([...this.params].map(([n, v]) => [n, tf.variable(v, true)])))
  }

  /** The checkpoint laid out: header plus views of each parameter's values (read now, so the model may be disposed after). */
  #layout(): SafetensorsLayout {
    return layoutSafetensors(
      this.#specs.map((s) => ({ name: s.name, dtype: "F32", shape: s.shape, data: this.params.get(s.name)!.dataSync() as Float32Array })),
      { style: "ordered", metadata: { format: "pt", [CONFIG_METADATA_KEY]: JSON.stringify(this.config) } }
    )
  }

  toSafetensors(): Uint8Array {
    return safetensorsBytes(this.#layout())
  }

  toSafetensorsStream(): AsyncIterable<Uint8Array> {
    return safetensorsStream(this.#layout())
  }

  async save(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, this.toSafetensors())
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose()
  }
}

/**
 * The parameters a `TunePart` selects, in inventory order. `topBlocks: k`
 * keeps the last k residual blocks of the chosen tower(s) plus what sits
 * above them (post-norm / final norm and projection); `logit_scale` is
 * trained only with `{ encoder: "all" }` and no block limit.
 *
 * @since 0.1.0
 * @category utils
 */
export const selectParams = (config: ClipConfig, specs: ReadonlyArray<ParamSpec>, part: TunePart): ParamSpec[] => {
  const k = part.topBlocks
  if (k !== undefined) {
    const max = part.encoder === "text" ? config.textLayers : part.encoder === "image" ? config.visionLayers : Math.min(config.textLayers, config.visionLayers)
    if (!Number.isInteger(k) || k < 0 || k > max) {
      throw new ClipConfigError({ source: "trainableVariables", field: "topBlocks", reason: `${k} is not an integer in [0, ${max}]` })
    }
  }
  const heads = new Set([
    "vision_model.post_layernorm.weight", "vision_model.post_layernorm.bias", "visual_projection.weight",
    "text_model.final_layer_norm.weight", "text_model.final_layer_norm.bias", "text_projection.weight"
  ])
  return specs.filter((s) => {
    if (s.tower === "shared") return part.encoder === "all" && k === undefined
    if (part.encoder !== "all" && s.tower !== part.encoder) return false
    if (k === undefined) return true
    if (s.block !== undefined) return s.block >= (s.tower === "image" ? config.visionLayers : config.textLayers) - k
    return heads.has(s.name)
  })
}

/**
 * A model with CLIP's random initialisation (see `parameters.ts`),
 * deterministic in `seed`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createClip = (config: ClipConfig, seed: number): ClipModel => {
  validateConfig(config, "createClip")
  const params = new Map<string, tf.Variable>()
  paramSpecs(config).forEach((s, i) => {
    const count = s.shape.reduce((a, d) => a * d, 1)
    const init = s.init.kind === "normal"
      ? tf.tensor(gaussian(count, s.init.std, seed * 100003 + i), [...s.shape], "float32")
      : tf.fill([...s.shape], s.init.value)
    params.set(s.name, tf.variable(init, true))
    init.dispose()
  })
  return new Clip(config, params)
}

/**
 * A model from a checkpoint already read (`readCheckpoint`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const clipFromCheckpoint = (ck: Checkpoint): ClipModel => {
  checkTensors(ck.file, ck.config, ck.tensors)
  const params = new Map<string, tf.Variable>()
  for (const s of paramSpecs(ck.config)) {
    const t = ck.tensors.get(s.name)!
    const init = tf.tensor(t.data, [...s.shape], "float32")
    params.set(s.name, tf.variable(init, true))
    init.dispose()
  }
  return new Clip(ck.config, params)
}

/**
 * A model from safetensors bytes of either layout.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clipFromSafetensors = (bytes: Uint8Array, options: LoadOptions & { readonly file?: string } = {}): ClipModel =>
  clipFromCheckpoint(readCheckpoint(parseSafetensors(bytes, options.file ?? "<bytes>"), options.config === undefined ? {} : { config: options.config }))

/**
 * Reads the `config.json` / `open_clip_config.json` beside a checkpoint, if
 * there is one.
 *
 * @since 0.1.0
 * @category utils
 */
export const readSideConfig = async (path: string): Promise<CheckpointOptions["sideConfig"]> => {
  for (const name of ["config.json", "open_clip_config.json"]) {
    const p = join(dirname(path), name)
    if (!existsSync(p)) continue
    let json: unknown
    try {
      json = JSON.parse(await readFile(p, "utf8"))
    } catch (e) {
      throw new ClipConfigError({ source: p, field: "config", reason: `not valid JSON (${e instanceof Error ? e.message : String(e)})` })
    }
    return { file: p, json }
  }
  return undefined
}

/**
 * Reads a checkpoint file (either layout) without building a model: its
 * layout, configuration, and where each guessed field came from.
 *
 * @since 0.1.0
 * @category constructors
 */
export const inspectClip = async (path: string, options: LoadOptions = {}): Promise<Checkpoint> => {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (e) {
    throw new SafetensorsError({ file: path, reason: `cannot read the file (${e instanceof Error ? e.message : String(e)})` })
  }
  const sideConfig = await readSideConfig(path)
  return readCheckpoint(parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path), {
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(sideConfig === undefined ? {} : { sideConfig })
  })
}

/**
 * Loads a safetensors checkpoint of either layout (F32 / F16 / BF16 read as
 * float32).
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadClip = async (path: string, options: LoadOptions = {}): Promise<ClipModel> =>
  clipFromCheckpoint(await inspectClip(path, options))

/**
 * `loadClip` as an Effect: the failure channel carries the module's tagged
 * errors; anything else thrown is a defect.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadClipEffect = (path: string, options: LoadOptions = {}): Effect.Effect<ClipModel, ClipError> =>
  Effect.tryPromise({ try: () => loadClip(path, options), catch: (e) => e }).pipe(
    Effect.catchAll((e) =>
      e instanceof SafetensorsError || e instanceof WeightsMismatchError || e instanceof ClipConfigError
        ? Effect.fail(e as ClipError)
        : Effect.die(e)
    )
  )
