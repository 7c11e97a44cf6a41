/**
 * The native kernel pack: a tfjs backend named `native` that is one more
 * instance of the cpu backend, with the kernels that dominate CLIP training
 * (GEMM, fused matmul, broadcasting arithmetic, transcendental functions,
 * softmax, reductions, transpose, embedding gather and its gradient)
 * replaced by C++ ones from the N-API addon (OpenBLAS's or Accelerate's
 * `cblas_sgemm` where the build found one, else the addon's own GEMM; a
 * small thread pool for large element-wise work).
 *
 * Why a separate backend rather than overwriting `cpu`'s kernels: tfjs-core
 * stays unpatched, gradients (registered by kernel name, not backend) apply
 * unchanged, and tests can run the same computation on `cpu` and `native` in
 * one process by switching `tf.setBackend`.
 *
 * @since 0.1.0
 */
import { BackendUnavailableError } from "./errors.js"
import { MathBackendCPU, tf } from "./tf.js"
import { allottedCpus } from "./cpus.js"
import { loadAddon as loadAddonOnce, type NativeAddon } from "./internal/addon.js"
import { fusedKernels, nativeKernels } from "./internal/kernels.js"
import { timed } from "./profile.js"

/**
 * The tfjs backend name of the kernel pack.
 *
 * @since 0.1.0
 * @category constants
 */
export const NATIVE_BACKEND = "native"

let sized = false

/**
 * The addon, its pool sized to the CPUs this process may use. The pool
 * defaults to `std::thread::hardware_concurrency()`, the machine's online
 * cores, which ignores the CPU affinity mask (`taskset`, a container's
 * cpuset, a Slurm allotment); more threads than allotted cores only
 * contend. `CLIPCL_THREADS` or `OPENBLAS_NUM_THREADS`, when set, win.
 */
const loadAddon = (): ReturnType<typeof loadAddonOnce> => {
  const load = loadAddonOnce()
  if (load.ok && !sized) {
    sized = true
    if (process.env.CLIPCL_THREADS === undefined && process.env.OPENBLAS_NUM_THREADS === undefined) load.addon.setThreads(allottedCpus())
  }
  return load
}

/** tfjs backend priority of `native`: cpu has 1. */
const NATIVE_PRIORITY = 1.5

/**
 * Which GEMM the native kernels run: the BLAS library the addon was built
 * against, or its own cache-blocked one (`vendored`).
 *
 * @since 0.1.0
 * @category models
 */
export type NativeGemm = "openblas" | "accelerate" | "vendored"

/**
 * What the loaded addon reports: its pool's threads, the BLAS library it
 * links (`none` without one), the GEMM in use and OpenBLAS's build.
 *
 * @since 0.1.0
 * @category models
 */
export interface NativeInfo {
  readonly path: string
  readonly threads: number
  readonly blas: "openblas" | "accelerate" | "none"
  readonly gemm: NativeGemm
  readonly blasThreads: number
  readonly blasCore: string
  readonly blasConfig: string
  readonly kernels: ReadonlyArray<string>
}

/**
 * The cpu backend prints a "install tfjs-node" banner to the console on its
 * first write in Node; the native pack is that fast path, so it is silenced.
 */
const quiet = (backend: MathBackendCPU): MathBackendCPU => {
  ;(backend as unknown as { firstUse: boolean }).firstUse = false
  return backend
}

const fallbacks = new Map<string, number>()

/**
 * How often each replaced kernel handed a call back to the cpu kernel
 * (int32 inputs, unsupported shapes or attributes): for tests and profiling.
 *
 * @since 0.1.0
 * @category utils
 */
export const fallbackCalls = (): ReadonlyMap<string, number> => fallbacks

let registered: { readonly ok: true; readonly info: NativeInfo } | { readonly ok: false; readonly reason: string } | undefined

/**
 * Registers the `native` backend (idempotent). Returns why it cannot when the
 * addon is missing or fails to load; nothing is registered then.
 *
 * @since 0.1.0
 * @category constructors
 */
export const registerNativeBackend = (): { readonly ok: true; readonly info: NativeInfo } | { readonly ok: false; readonly reason: string } => {
  if (registered !== undefined) return registered
  const load = loadAddon()
  if (!load.ok) {
    registered = { ok: false, reason: load.reason }
    return registered
  }
  const { addon } = load
  // Above cpu's priority 1, so tfjs picks it by itself when nothing was
  // selected (`import { tf } from "clipcl"; tf.matMul(...)`); below
  // tfjs-node's 3 and wasm's 2, which register only when initBackend loads them.
  tf.registerBackend(NATIVE_BACKEND, () => quiet(new MathBackendCPU()), NATIVE_PRIORITY)
  for (const config of tf.getKernelsForBackend("cpu")) {
    const make = nativeKernels[config.kernelName]
    const name = config.kernelName
    const fallback: tf.KernelFunc = (args) => {
      fallbacks.set(name, (fallbacks.get(name) ?? 0) + 1)
      return config.kernelFunc(args)
    }
    const kernelFunc = make === undefined ? config.kernelFunc : make(addon, fallback)
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND, kernelFunc: timed(config.kernelName, kernelFunc) })
  }
  for (const [kernelName, make] of Object.entries(fusedKernels)) {
    tf.registerKernel({ kernelName, backendName: NATIVE_BACKEND, kernelFunc: timed(kernelName, make(addon)) })
  }
  registered = { ok: true, info: nativeInfo(load.path, addon) }
  return registered
}

const nativeInfo = (path: string, addon: NativeAddon): NativeInfo => {
  const info = addon.info()
  return {
    path,
    threads: info.threads,
    blas: info.blas as NativeInfo["blas"],
    gemm: info.gemm as NativeGemm,
    blasThreads: info.blasThreads,
    blasCore: info.blasCore,
    blasConfig: info.blasConfig.trim(),
    kernels: Object.keys(nativeKernels).filter((k) => tf.getKernel(k, "cpu") !== undefined),
  }
}

/**
 * The addon's facts now (the GEMM and threads can change after registration);
 * undefined without the addon.
 *
 * @since 0.1.0
 * @category utils
 */
export const nativeStatus = (): NativeInfo | undefined => {
  const load = loadAddon()
  return load.ok ? nativeInfo(load.path, load.addon) : undefined
}

/**
 * Selects the GEMM the native kernels run: `vendored` (the addon's own) or
 * `blas` (the library it was built against). `CLIPCL_GEMM=vendored` selects
 * the addon's own at load. Throws when the addon is missing or the build
 * links no BLAS library (`BackendUnavailableError`).
 *
 * @since 0.1.0
 * @category utils
 */
export const setNativeGemm = (gemm: "vendored" | "blas"): NativeGemm => {
  const load = loadAddon()
  if (!load.ok) throw new BackendUnavailableError({ backend: NATIVE_BACKEND, reason: load.reason })
  try {
    return load.addon.setGemm(gemm) as NativeGemm
  } catch (cause) {
    throw new BackendUnavailableError({ backend: NATIVE_BACKEND, reason: cause instanceof Error ? cause.message : String(cause), cause })
  }
}

/**
 * Sets the threads of the pool (element-wise kernels and the addon's own
 * GEMM) and of OpenBLAS (both default to the machine's cores;
 * `CLIPCL_THREADS` and `OPENBLAS_NUM_THREADS` also set them).
 *
 * @since 0.1.0
 * @category utils
 */
export const setNativeThreads = (threads: number): void => {
  const load = loadAddon()
  if (load.ok) load.addon.setThreads(Math.max(1, Math.floor(threads)))
}
