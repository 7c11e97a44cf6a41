/**
 * The tfjs kernels clipcl's own training and evaluation dispatch (CLIP's
 * forward pass, clipcl's gradients, the methods' losses, zero-shot
 * evaluation): a backend that lacks one of them cannot run the quickstart.
 * The automatic backend choice uses this to decide whether `wasm` can stand
 * in for the native pack; a test records what a tiny pretraining and a
 * session of each quickstart method dispatch and checks it is all listed.
 *
 * @since 0.1.0
 */
import { tf } from "./tf.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const TRAINING_KERNELS: ReadonlyArray<string> = [
  "Abs", "Add", "AddN", "ArgMax", "ArgMin", "BatchMatMul", "Cast", "Concat", "Erf", "Exp", "ExpandDims", "Fill",
  "GatherV2", "Greater", "GreaterEqual", "Identity", "Less", "Log", "Max", "Maximum", "Mean", "Minimum", "Multiply",
  "Neg", "OneHot", "OnesLike", "PadV2", "Pow", "Range", "RealDiv", "Reshape", "Rsqrt", "ScatterNd", "Select",
  "Sigmoid", "Sign", "Slice", "Softmax", "SplitV", "Sqrt", "Square", "Sub", "Sum", "Tile", "Transpose", "ZerosLike",
  "_FusedMatMul",
]

/**
 * The kernels of {@link TRAINING_KERNELS} that tfjs backend `name` has not
 * registered (empty: it runs everything clipcl trains and evaluates with).
 *
 * @since 0.1.0
 * @category utils
 */
export const missingKernels = (name: string): ReadonlyArray<string> =>
  TRAINING_KERNELS.filter((k) => tf.getKernel(k, name) === undefined)
