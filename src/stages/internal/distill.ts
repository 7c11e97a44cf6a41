/**
 * The science of the `distill` stage (`distill.ts`), loaded when it runs:
 * encode the session's, the memory's and the reference images with the
 * teacher, once.
 *
 * @since 0.1.0
 */
import { indicesOfClasses } from "../../data/ImageSet.js"
import type { CheckpointInput, TensorData } from "../../dsl/index.js"
import type { StageContext } from "../../dsl/Stage.js"
import type { ImageSource } from "../../methods/data.js"
import { embedImages } from "../../methods/teacher.js"
import { embedVocabulary } from "../../methods/vocabulary.js"
import { dataDigest, text, type DistillParams, type SetName } from "../distill.js"
import { openExperiment, sessionsOf } from "../experiment.js"
import { rawImageSource } from "../rawImageSource.js"
import { loadModel } from "../io.js"
import { referencePicks, replayPicks } from "../methodImages.js"

/**
 * The teacher's features of the image sets `params` names.
 *
 * @since 0.1.0
 * @category utils
 */
export const runDistill = async (params: DistillParams, inputs: { readonly model: CheckpointInput }, seed: number, ctx: StageContext): Promise<Record<string, TensorData>> => {
  const model = await loadModel(inputs.model)
  try {
    const exp = await openExperiment(params.data)
    const { imageSize, contextLength, embedDim } = model.config
    const seq = params.session !== undefined || params.memory !== undefined ? sessionsOf(exp, params.sessions) : undefined
    const sessionAt = (i: number) => {
      const s = seq!.sessions[i]
      if (s === undefined) throw new Error(`session ${i} does not exist: the target task has ${seq!.sessions.length} session(s)`)
      return s
    }
    const train = exp.target.train
    const sets: Array<{ name: SetName; picks: Int32Array; read: () => Promise<ImageSource> }> = []
    if (params.session !== undefined) {
      const picks = indicesOfClasses(train, sessionAt(params.session).classes)
      sets.push({ name: "session", picks, read: async () => rawImageSource(train, await train.read(picks), imageSize) })
    }
    if (params.memory !== undefined) {
      sessionAt(params.memory.session)
      const { picks } = replayPicks(exp, seq!.sessions.slice(0, params.memory.session), params.memory.perClass, seed)
      sets.push({ name: "memory", picks, read: async () => rawImageSource(train, await train.read(picks), imageSize) })
    }
    const reference = params.reference === undefined ? undefined : referencePicks(exp, params.reference.size, contextLength, seed)
    if (reference !== undefined) {
      const set = exp.pretrain!
      sets.push({ name: "reference", picks: reference.picks, read: async () => rawImageSource(set, await set.read(reference.picks), imageSize) })
    }
    const total = sets.reduce((n, s) => n + s.picks.length, 0)
    ctx.log(`encoding ${sets.map((s) => `${s.picks.length} ${s.name} images`).join(", ")} with the teacher`)
    const out: Record<string, TensorData> = { teacher: text(inputs.model.hash), data: text(dataDigest(params.data)) }
    let done = 0
    for (const s of sets) {
      const { features, scale } = await embedImages(model, await s.read(), {
        signal: ctx.signal,
        onBatch: (n) => ctx.progress(done + n, total)
      })
      done += s.picks.length
      out[`${s.name}.indices`] = { dtype: "int32", shape: [s.picks.length], data: s.picks }
      out[`${s.name}.features`] = { dtype: "float32", shape: [s.picks.length, embedDim], data: (await features.data()) as Float32Array }
      out["scale"] = { dtype: "float32", shape: [], data: (await scale.data()) as Float32Array }
      features.dispose()
      scale.dispose()
    }
    if (reference !== undefined) {
      const texts = embedVocabulary(model, reference.texts)
      out["reference.texts"] = { dtype: "float32", shape: texts.shape, data: (await texts.data()) as Float32Array }
      texts.dispose()
    }
    return out
  } finally {
    model.dispose()
  }
}
