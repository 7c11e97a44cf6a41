/**
 * The evaluate stage's computation (see `../evaluate.ts`), loaded when the
 * stage runs.
 *
 * @since 0.1.0
 */
import { tf } from "../../backend/tf.js"
import type { ClipModel } from "../../clip/model.js"
import { embedTexts } from "../../clip/embed.js"
import { zeroShotClassifier } from "../../clip/zeroShot.js"
import type { LabeledImages } from "../../data/ImageSet.js"
import type { CheckpointInput } from "../../dsl/Output.js"
import type { StageContext } from "../../dsl/Stage.js"
import { accuracyMetrics, retrievalMetrics, type EvalTask } from "../../eval/EvalTable.js"
import { retrievalRecallFromFeatures } from "../../eval/retrieval.js"
import { zeroShotAccuracy } from "../../eval/zeroShot.js"
import type { EvaluateParams, UnlabelledRecord } from "../evaluate.js"
import { openExperiment, readAll, sessionsOf, tokens } from "../experiment.js"
import { rawImageSource } from "../rawImageSource.js"
import { loadModel } from "../io.js"

const recordsOf = (session: number, task: EvalTask, metrics: Readonly<Record<string, number | null>>): Array<UnlabelledRecord> =>
  Object.entries(metrics).map(([metric, value]) => ({ session, task: task.task, role: task.role, taskIndex: task.taskIndex ?? null, metric, value }))

/** Normalised-or-not image features of a whole labelled or captioned set, batch by batch. */
const imageFeatures = async (model: ClipModel, set: Pick<LabeledImages, "height" | "width" | "channels" | "size" | "read">, batchSize: number): Promise<tf.Tensor2D> => {
  const raw = await readAll(set as LabeledImages)
  const source = rawImageSource(set, raw, model.config.imageSize)
  const parts: Array<Float32Array> = []
  for (let s = 0; s < source.size; s += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, source.size - s) }, (_, k) => s + k)
    parts.push(tf.tidy(() => model.encodeImage(source.batch(idx)).dataSync() as Float32Array))
  }
  const d = model.config.embedDim
  const all = new Float32Array(source.size * d)
  let o = 0
  for (const p of parts) {
    all.set(p, o)
    o += p.length
  }
  return tf.tensor2d(all, [source.size, d])
}

/**
 * Every figure of one model's evaluation table.
 *
 * @since 0.1.0
 * @category utils
 */
export const evaluateModel = async (params: EvaluateParams, input: CheckpointInput, ctx: StageContext): Promise<Array<UnlabelledRecord>> => {
  const exp = await openExperiment(params.data)
  const seq = sessionsOf(exp, params.sessions)
  const model = await loadModel(input)
  const out: Array<UnlabelledRecord> = []
  const session = params.session
  const steps = 2 + exp.zeroShot.length
  let step = 0
  const tick = (what: string) => {
    ctx.progress(++step, steps)
    ctx.log(what)
  }
  try {
    // Target task: one classifier over all target classes, scored per session and over the seen classes.
    const target = exp.target
    const head = zeroShotClassifier(model, target.classNames, target.templates)
    const feats = await imageFeatures(model, target.test, params.batchSize)
    try {
      const labels = target.test.labels
      const seenNow = params.session >= 0 ? seq.sessions[params.session]!.seen : seq.order
      const scope = params.scope === "seen" ? seenNow : "all"
      const scoreOn = (classes: ReadonlyArray<number>) => {
        const rows = Array.from(labels.keys()).filter((i) => classes.includes(labels[i]!))
        const picked = tf.gather(feats, rows) as tf.Tensor2D
        try {
          return zeroShotAccuracy({ imageFeatures: picked, classFeatures: head, labels: rows.map((i) => labels[i]!), classes: scope })
        } finally {
          picked.dispose()
        }
      }
      for (const s of seq.sessions) {
        out.push(...recordsOf(session, { task: `session ${s.index}`, role: "session", taskIndex: s.index }, accuracyMetrics(scoreOn(s.classes))))
      }
      const r = scoreOn(seenNow)
      out.push(...recordsOf(session, { task: target.name, role: "target" }, accuracyMetrics(r)))
      tick(`target: top-1 ${r.top1.toFixed(3)}`)
    } finally {
      head.dispose()
      feats.dispose()
    }
    // Held-out zero-shot tasks.
    for (const task of exp.zeroShot) {
      const head = zeroShotClassifier(model, task.classNames, task.templates)
      const feats = await imageFeatures(model, task.test, params.batchSize)
      try {
        const r = zeroShotAccuracy({ imageFeatures: feats, classFeatures: head, labels: task.test.labels })
        out.push(...recordsOf(session, { task: task.name, role: "zeroshot" }, accuracyMetrics(r)))
        tick(`zero-shot ${task.name}: top-1 ${r.top1.toFixed(3)}`)
      } finally {
        head.dispose()
        feats.dispose()
      }
    }
    // Retrieval, fold by fold; the table keeps the mean over each task's folds.
    const sums = new Map<string, { folds: number; metrics: Map<string, number> }>()
    for (const [i, fold] of exp.retrieval.entries()) {
      const imgs = await imageFeatures(model, fold, params.batchSize)
      const captions = fold.captions.flatMap((c) => c)
      const captionImage = fold.captions.flatMap((c, i) => c.map(() => i))
      const txt = embedTexts(model, tokens(captions, model.config.contextLength))
      try {
        const r = retrievalRecallFromFeatures({ imageFeatures: imgs, textFeatures: txt, captionImage })
        const task = exp.retrievalTasks?.[i] ?? "retrieval"
        const s = sums.get(task) ?? { folds: 0, metrics: new Map<string, number>() }
        s.folds++
        for (const [k, v] of Object.entries(retrievalMetrics(r))) s.metrics.set(k, (s.metrics.get(k) ?? 0) + v)
        sums.set(task, s)
      } finally {
        imgs.dispose()
        txt.dispose()
      }
    }
    for (const [task, s] of sums) {
      const mean = Object.fromEntries([...s.metrics].map(([k, v]) => [k, v / s.folds]))
      out.push(...recordsOf(session, { task, role: "retrieval" }, mean))
    }
    tick("retrieval done")
    return out
  } finally {
    model.dispose()
  }
}
