/**
 * Contrastive pretraining of CLIP from scratch (the small default model on
 * the synthetic world): symmetric InfoNCE over each batch of image-text
 * pairs, every parameter trained, the logit scale learnt and clamped at 100.
 *
 * @since 0.1.0
 */
import { tf } from "../backend/tf.js"
import { clampLogitScale, contrastiveLoss } from "./contrastive.js"
import type { PairedData } from "./data.js"
import { InvalidOptionError } from "./errors.js"
import type { MethodModel } from "./model.js"
import { train, type TrainHooks, type TrainOptions, type TrainResult } from "./train.js"

/**
 * Train `model` in place on `data`; metrics: `loss` (InfoNCE) and `scale`
 * (exp(logit_scale)).
 *
 * @since 0.1.0
 * @category constructors
 */
export const pretrain = async (model: MethodModel, data: PairedData, options: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> => {
  if (data.texts.length !== data.images.size) {
    throw new InvalidOptionError({ method: "pretrain", option: "data.texts", reason: `has ${data.texts.length} texts for ${data.images.size} images` })
  }
  return train(
    {
      name: "pretrain",
      size: data.images.size,
      variables: model.trainableVariables({ encoder: "all" }),
      loss: (indices) => {
        const images = data.images.batch(indices)
        const scale = model.logitScaleTensor()
        const loss = contrastiveLoss(model.encodeImage(images), model.encodeText(indices.map((i) => data.texts[i].slice())), scale)
        return { loss, metrics: { scale: tf.clone(scale) as tf.Scalar } }
      },
      afterStep: () => clampLogitScale(model),
    },
    options,
    hooks,
  )
}
