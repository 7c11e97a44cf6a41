/**
 * Kernel names of the fused operations (`../fused.ts`). They are registered
 * for the native backend only, so on every other backend the ops run their
 * composite form. No imports: the gradient pack uses them too.
 */
export const FUSED = {
  layerNorm: "ClipclLayerNorm",
  layerNormGrad: "ClipclLayerNormGrad",
  activation: "ClipclActivation",
  activationGrad: "ClipclActivationGrad",
  softmaxGrad: "ClipclSoftmaxGrad",
} as const
