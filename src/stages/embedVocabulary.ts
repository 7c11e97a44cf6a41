/**
 * `embedVocabulary`: tokenise and encode a vocabulary once with a given
 * (teacher) model and cache the text features, so every method and ablation
 * that distils over it shares one computation. Sources: random token
 * sequences (VR-LwF's replayed vocabulary, drawn from a seed), a word list,
 * or the class names of a data set in `prompts.json`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { loadPrompts } from "../clip/prompts.js"
import { checkpoint, stage, tensors } from "../dsl/index.js"
import { makeRng } from "../random.js"
import { drawPseudoClasses, embedVocabulary as encodeVocabulary, wordVocabulary } from "../methods/vocabulary.js"
import { tokens } from "./experiment.js"
import { loadModel } from "./io.js"
import { moduleSources } from "../dsl/moduleSources.js"

const PosInt = Schema.Int.pipe(Schema.positive())

/**
 * @since 0.1.0
 * @category schemas
 */
export const VocabularyParams = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("random"), size: PosInt, length: Schema.optionalWith(PosInt, { default: () => 8 }) }),
  Schema.Struct({ kind: Schema.Literal("words"), words: Schema.Array(Schema.NonEmptyString).pipe(Schema.minItems(1)) }),
  Schema.Struct({ kind: Schema.Literal("classNames"), dataset: Schema.NonEmptyString })
)

/** @since 0.1.0 @category stages */
export const embedVocabulary = stage({
  name: "embedVocabulary",
  version: 1,
  params: Schema.Struct({ vocabulary: VocabularyParams }),
  inputs: { model: checkpoint },
  output: tensors,
  resources: { accelerator: 1 },
  hashIncludes: moduleSources(import.meta.url),
  run: async ({ params, inputs, seed, ctx }) => {
    const model = await loadModel(inputs.model)
    try {
      const v = params.vocabulary
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
})
