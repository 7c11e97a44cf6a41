/**
 * Per-kernel wall-clock timing for the native backend: every kernel it runs
 * (native or borrowed from cpu) passes through `timed`, which costs one
 * branch while no profile is open. Used by `npm run bench:compute` to show
 * where a training step's time goes.
 *
 * @since 0.1.0
 */

/**
 * Total time and calls of one kernel during a profile.
 *
 * @since 0.1.0
 * @category models
 */
export interface KernelTiming {
  readonly kernel: string
  readonly calls: number
  readonly ms: number
}

let open: Map<string, { calls: number; ms: number }> | undefined

/** @internal Wraps a kernel function so open profiles see its time. */
export const timed = <A, R>(kernel: string, fn: (args: A) => R): ((args: A) => R) => (args) => {
  if (open === undefined) return fn(args)
  const profile = open
  const t0 = performance.now()
  try {
    return fn(args)
  } finally {
    const entry = profile.get(kernel) ?? { calls: 0, ms: 0 }
    entry.calls += 1
    entry.ms += performance.now() - t0
    profile.set(kernel, entry)
  }
}

/**
 * Runs `f` with kernel timing on and returns its result with the timings,
 * slowest kernel first. Only kernels of the native backend are timed.
 *
 * @since 0.1.0
 * @category utils
 */
export const profileKernels = <R>(f: () => R): { readonly result: R; readonly kernels: ReadonlyArray<KernelTiming> } => {
  const previous = open
  const profile = new Map<string, { calls: number; ms: number }>()
  open = profile
  try {
    const result = f()
    const kernels = [...profile.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms)
    return { result, kernels }
  } finally {
    open = previous
  }
}
