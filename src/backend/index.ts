/**
 * Backend selection at start-up. `initBackend()` picks the fastest
 * TensorFlow.js backend that works here, in this order:
 *
 * 1. `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA),
 * 2. `tensorflow`: `@tensorflow/tfjs-node` (libtensorflow on the CPU),
 * 3. `native`: the cpu backend with this package's native kernel pack
 *    (OpenBLAS's or the addon's own GEMM, C++ element-wise kernels),
 * 4. `wasm`: tfjs-backend-wasm (SIMD, one thread in Node), when it has every
 *    kernel clipcl trains and evaluates with (`TRAINING_KERNELS`): the
 *    fastest path where no C++ compiler built the addon,
 * 5. `cpu`: tfjs's plain JavaScript backend.
 * Below `native`, one notice says how to get the fast path.
 *
 * The node packages are optionalDependencies whose install downloads
 * libtensorflow, so they are often absent; they are imported dynamically and
 * skipped when missing.
 *
 * Importing this module registers `native` (when the addon is built) with a
 * higher tfjs priority than `cpu`, so code that never calls `initBackend`
 * (`import { tf } from "clipcl"; tf.matMul(...)`) runs on it; `initBackend`
 * still selects whatever it is asked for.
 *
 * A name (the CLI's `--backend`, else the `CLIPCL_BACKEND` environment
 * variable) forces one backend, and fails with `BackendUnavailableError` if
 * it cannot run.
 *
 * @since 0.1.0
 */
import { BackendUnavailableError } from "./errors.js"
import { NATIVE_BACKEND, nativeStatus, registerNativeBackend, type NativeInfo } from "./native.js"
import { missingKernels } from "./required.js"
import { tf } from "./tf.js"

export { BackendUnavailableError, NativeKernelError, type BackendError } from "./errors.js"
export {
  NATIVE_BACKEND,
  nativeStatus,
  registerNativeBackend,
  setNativeGemm,
  setNativeThreads,
  type NativeGemm,
  type NativeInfo
} from "./native.js"
export { missingKernels, TRAINING_KERNELS } from "./required.js"
export { profileKernels, type KernelTiming } from "./profile.js"
export { tf } from "./tf.js"
export { registerGradients } from "./gradients.js"

/**
 * Names `initBackend` accepts. `auto` (the default) tries them in order.
 *
 * @since 0.1.0
 * @category models
 */
export const backendNames = ["auto", "tensorflow-gpu", "tensorflow", "native", "cpu", "wasm"] as const

/**
 * @since 0.1.0
 * @category models
 */
export type BackendName = (typeof backendNames)[number]

/**
 * The backend that runs, as shown by the CLI and UI.
 *
 * @since 0.1.0
 * @category models
 */
export interface BackendInfo {
  /** clipcl's name for it (one of `backendNames` but `auto`). */
  readonly name: Exclude<BackendName, "auto">
  /** The tfjs backend name (`tf.getBackend()`). */
  readonly tfBackend: string
  /** One line: "cpu + native kernels (OpenBLAS Haswell, 2 threads)". */
  readonly description: string
  /** Set when a faster backend could not be used: what to do to get it. */
  readonly notice?: string
  readonly native?: NativeInfo
}

/**
 * The notice shown (once, by the caller) when the native pack cannot run.
 *
 * @since 0.1.0
 * @category constants
 */
export const FAST_PATH_HINT =
  "For the fast native CPU kernels install a C++ toolchain, ideally with OpenBLAS (Debian/Ubuntu: " +
  "`sudo apt-get install build-essential python3 libopenblas-dev`), then rebuild the addon with " +
  "`npm rebuild clipcl` (in a checkout: `npm run build:native`)."

let current: BackendInfo | undefined

const isBackendName = (s: string): s is BackendName => (backendNames as ReadonlyArray<string>).includes(s)

const errorText = (cause: unknown): string => (cause instanceof Error ? cause.message.split("\n")[0] : String(cause))

/** Imports a tfjs-node package; the name is a variable so TypeScript does not resolve it. */
const tryNodePackage = async (pkg: string): Promise<{ ok: true } | { ok: false; reason: string }> => {
  try {
    await import(pkg)
  } catch (cause) {
    return { ok: false, reason: `${pkg} is not installed or failed to load (${errorText(cause)})` }
  }
  // It registers "tensorflow" on the tfjs-core it resolved; that must be ours.
  if (tf.findBackendFactory("tensorflow") === null || tf.findBackendFactory("tensorflow") === undefined) {
    return { ok: false, reason: `${pkg} loaded but registered no "tensorflow" backend with this package's tfjs-core` }
  }
  return { ok: true }
}

const activate = async (tfName: string): Promise<boolean> => {
  try {
    return await tf.setBackend(tfName)
  } catch {
    return false
  }
}

const gemmLabel = (info: NativeInfo): string =>
  info.gemm === "openblas"
    ? `OpenBLAS${info.blasCore ? ` ${info.blasCore}` : ""}`
    : info.gemm === "accelerate"
      ? "Accelerate"
      : "own GEMM"

const nativeDescription = (info: NativeInfo): string =>
  `cpu + native kernels (${gemmLabel(info)}, ${info.threads} thread${info.threads === 1 ? "" : "s"})`

type Attempt = { ok: true; info: BackendInfo } | { ok: false; reason: string }

const attempt = async (name: Exclude<BackendName, "auto">): Promise<Attempt> => {
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow": {
      const pkg = name === "tensorflow-gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node"
      const loaded = await tryNodePackage(pkg)
      if (!loaded.ok) return loaded
      if (!(await activate("tensorflow"))) return { ok: false, reason: `${pkg} loaded but its backend failed to initialise` }
      return { ok: true, info: { name, tfBackend: "tensorflow", description: `tensorflow (${pkg}, libtensorflow${name === "tensorflow-gpu" ? " GPU" : " CPU"})` } }
    }
    case "native": {
      const reg = registerNativeBackend()
      if (!reg.ok) return { ok: false, reason: reg.reason }
      if (!(await activate(NATIVE_BACKEND))) return { ok: false, reason: "the native backend failed to initialise" }
      const info = nativeStatus() ?? reg.info
      return { ok: true, info: { name, tfBackend: NATIVE_BACKEND, description: nativeDescription(info), native: info } }
    }
    case "wasm": {
      try {
        await import("@tensorflow/tfjs-backend-wasm")
      } catch (cause) {
        return { ok: false, reason: `@tensorflow/tfjs-backend-wasm failed to load (${errorText(cause)})` }
      }
      if (!(await activate("wasm"))) return { ok: false, reason: "the wasm backend failed to initialise" }
      return { ok: true, info: { name, tfBackend: "wasm", description: "wasm (tfjs-backend-wasm, SIMD, 1 thread)" } }
    }
    case "cpu": {
      if (!(await activate("cpu"))) return { ok: false, reason: "the cpu backend failed to initialise" }
      // Its console banner ("install tfjs-node") would duplicate our one notice.
      ;(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false
      return { ok: true, info: { name, tfBackend: "cpu", description: "cpu (plain JavaScript kernels)" } }
    }
  }
}

/** wasm, when it loads and has every kernel clipcl needs (it lacks some tfjs ops). */
const attemptWasmForTraining = async (): Promise<Attempt> => {
  const r = await attempt("wasm")
  if (!r.ok) return r
  const missing = missingKernels("wasm")
  return missing.length === 0 ? r : { ok: false, reason: `the wasm backend lacks kernels clipcl needs (${missing.join(", ")})` }
}

/**
 * Selects and activates a backend. `name` (else `CLIPCL_BACKEND`, else
 * `auto`) forces one; `auto` takes the first that works of tensorflow-gpu,
 * tensorflow, native, wasm (only if it has every kernel of
 * `TRAINING_KERNELS`), cpu. Below native, `notice` says why and how to get
 * the fast path (the caller shows it once; nothing is logged here).
 *
 * @since 0.1.0
 * @category constructors
 */
export const initBackend = async (name?: string): Promise<BackendInfo> => {
  const requested = (name ?? process.env.CLIPCL_BACKEND ?? "auto").trim().toLowerCase() || "auto"
  if (!isBackendName(requested)) {
    throw new BackendUnavailableError({ backend: requested, reason: `unknown backend; use one of ${backendNames.join(", ")}` })
  }
  if (requested !== "auto") {
    const r = await attempt(requested)
    if (!r.ok) {
      throw new BackendUnavailableError({ backend: requested, reason: requested === "native" ? `${r.reason}. ${FAST_PATH_HINT}` : r.reason })
    }
    current = r.info
    return r.info
  }
  // The node packages are usually absent: only the native pack's failure is worth a notice.
  for (const candidate of ["tensorflow-gpu", "tensorflow"] as const) {
    const r = await attempt(candidate)
    if (r.ok) return (current = r.info)
  }
  const native = await attempt("native")
  if (native.ok) return (current = native.info)
  const wasm = await attemptWasmForTraining()
  if (wasm.ok) {
    current = { ...wasm.info, notice: `Running on the wasm backend (slower than the native kernels): ${native.reason}. ${FAST_PATH_HINT}` }
    return current
  }
  const cpu = await attempt("cpu")
  if (!cpu.ok) throw new BackendUnavailableError({ backend: "cpu", reason: cpu.reason })
  current = { ...cpu.info, notice: `Running on the plain JavaScript cpu backend (slow): ${native.reason}; ${wasm.reason}. ${FAST_PATH_HINT}` }
  return current
}

/**
 * One line naming the backend that runs, for the CLI header and the UI.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeBackend = (): string => {
  if (current !== undefined && tf.getBackend() === current.tfBackend && current.name !== "native") return current.description
  const active = tf.getBackend()
  if (active === NATIVE_BACKEND) {
    const info = nativeStatus()
    if (info !== undefined) return nativeDescription(info)
  }
  return active === "cpu" ? "cpu (plain JavaScript kernels)" : String(active)
}

/**
 * The backend `initBackend` selected, if it ran.
 *
 * @since 0.1.0
 * @category utils
 */
export const currentBackend = (): BackendInfo | undefined => current

// The default for code that never calls initBackend (see the module comment).
registerNativeBackend()
