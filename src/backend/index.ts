/**
 * Backend selection at start-up. `initBackend()` picks the fastest
 * TensorFlow.js backend that works here, in this order:
 *
 * 1. `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA),
 * 2. `tensorflow`: `@tensorflow/tfjs-node` (libtensorflow on the CPU),
 * 3. `native`: the cpu backend with this package's native kernel pack
 *    (OpenBLAS GEMM and C++ element-wise kernels),
 * 4. `cpu`: tfjs's plain JavaScript backend, with one notice saying how to
 *    get the fast path.
 *
 * The node packages are optionalDependencies whose install downloads
 * libtensorflow, so they are often absent; they are imported dynamically and
 * skipped when missing. `wasm` (tfjs-backend-wasm, single-threaded in Node
 * and missing kernels CLIP's gradients need) is only used when named.
 *
 * A name (the CLI's `--backend`, else the `CLIPCL_BACKEND` environment
 * variable) forces one backend, and fails with `BackendUnavailableError` if
 * it cannot run.
 *
 * @since 0.1.0
 */
import { BackendUnavailableError } from "./errors.js"
import { NATIVE_BACKEND, registerNativeBackend, type NativeInfo } from "./native.js"
import { tf } from "./tf.js"

export { BackendUnavailableError, NativeKernelError, type BackendError } from "./errors.js"
export { NATIVE_BACKEND, registerNativeBackend, setNativeThreads, type NativeInfo } from "./native.js"
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
 * The notice shown (once, by the caller) when only plain cpu runs.
 *
 * @since 0.1.0
 * @category constants
 */
export const FAST_PATH_HINT =
  "For the fast native CPU kernels install OpenBLAS and a C++ toolchain (Debian/Ubuntu: " +
  "`sudo apt-get install libopenblas-dev build-essential python3`), then rebuild the addon with " +
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

const nativeDescription = (info: NativeInfo): string =>
  `cpu + native kernels (OpenBLAS${info.blasCore ? ` ${info.blasCore}` : ""}, ${info.threads} thread${info.threads === 1 ? "" : "s"})`

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
      return { ok: true, info: { name, tfBackend: NATIVE_BACKEND, description: nativeDescription(reg.info), native: reg.info } }
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

/**
 * Selects and activates a backend. `name` (else `CLIPCL_BACKEND`, else
 * `auto`) forces one; `auto` takes the first that works of tensorflow-gpu,
 * tensorflow, native, cpu. When only plain cpu runs, `notice` says why and
 * how to get the fast path (the caller shows it once; nothing is logged here).
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
  const cpu = await attempt("cpu")
  if (!cpu.ok) throw new BackendUnavailableError({ backend: "cpu", reason: cpu.reason })
  current = { ...cpu.info, notice: `Running on the plain JavaScript cpu backend (slow): ${native.reason}. ${FAST_PATH_HINT}` }
  return current
}

/**
 * One line naming the backend that runs, for the CLI header and the UI.
 *
 * @since 0.1.0
 * @category utils
 */
export const describeBackend = (): string => {
  if (current !== undefined && tf.getBackend() === current.tfBackend) return current.description
  const active = tf.getBackend()
  if (active === NATIVE_BACKEND) {
    const reg = registerNativeBackend()
    if (reg.ok) return nativeDescription(reg.info)
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
