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
import { checkpoint, stage, tensors } from "../dsl/index.js"
import { moduleSources } from "../dsl/moduleSources.js"
import { PositiveInt } from "../schemas.js"

/**
 * @since 0.1.0
 * @category schemas
 */
export const VocabularyParams = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("random"), size: PositiveInt, length: Schema.optionalWith(PositiveInt, { default: () => 8 }) }),
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
    // The science loads when the stage runs, not when a pipeline is planned.
    const { embedVocabularyWith } = await import("./internal/embedVocabulary.js")
    return embedVocabularyWith(params.vocabulary, inputs.model, seed, ctx)
  }
})
