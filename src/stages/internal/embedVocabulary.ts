/**
 * The embedVocabulary stage's computation (see `../embedVocabulary.ts`),
 * loaded when the stage runs.
 *
 * @since 0.1.0
 */
import { loadPrompts } from "../../clip/prompts.js"
import type { CheckpointInput } from "../../dsl/Output.js"
import type { StageContext } from "../../dsl/Stage.js"
import { makeRng } from "../../random.js"
import { drawPseudoClasses, embedVocabulary as encodeVocabulary, wordVocabulary } from "../../methods/vocabulary.js"
import type { VocabularyParams } from "../embedVocabulary.js"
import { tokens } from "../experiment.js"
import { loadModel } from "../io.js"

/**
 * The token ids and text features of a vocabulary under a model.
 *
 * @since 0.1.0
 * @category utils
 */
export const embedVocabularyWith = async (v: typeof VocabularyParams.Type, input: CheckpointInput, seed: number, ctx: StageContext) => {
  const model = await loadModel(input)
  try {
    const ctxLen = model.config.contextLength
    let ids: number[][]
    if (v.kind === "random") {
      ids = drawPseudoClasses(makeRng(seed), { count: v.size, length: v.length, contextLength: ctxLen, tokenLimit: Math.min(49405, model.config.vocabSize - 3) })
    } else if (v.kind === "words") {
      ids = wordVocabulary(v.words, (t) => tokens(t, ctxLen))
    } else {
      const prompts = loadPrompts()
      const set = prompts[v.dataset]
      if (set === undefined) throw new Error(`vocabulary.dataset: "${v.dataset}" is not in prompts.json (known: ${Object.keys(prompts).join(", ")})`)
      ids = wordVocabulary(set.classes, (t) => tokens(t, ctxLen))
    }
    ctx.log(`embedding ${ids.length} vocabulary entries`)
    const features = encodeVocabulary(model, ids)
    try {
      return {
        ids: { dtype: "int32" as const, shape: [ids.length, ctxLen], data: Int32Array.from(ids.flat()) },
        features: { dtype: "float32" as const, shape: [ids.length, model.config.embedDim], data: (await features.data()) as Float32Array }
      }
    } finally {
      features.dispose()
    }
  } finally {
    model.dispose()
  }
}
