/**
 * The TensorFlow.js namespace the whole project uses. Import `tf` from here,
 * never from `@tensorflow/tfjs-*` directly, so that one copy of tfjs-core (and
 * one kernel registry) is shared by the model, the methods and the native
 * kernel pack.
 *
 * @since 0.1.0
 */
import * as tf from "@tensorflow/tfjs-core"
import "@tensorflow/tfjs-backend-cpu"
// The Node build of tfjs-core registers no gradients (only the @tensorflow/tfjs
// bundle does); clipcl registers its own, apart from the ops, tfjs-style.
import "./gradients.js"

export { tf }

/**
 * The cpu backend's class: the native kernel pack (`./native.ts`) registers
 * one more instance of it under its own name, so every kernel it does not
 * replace runs unchanged.
 *
 * @since 0.1.0
 */
export { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu"
