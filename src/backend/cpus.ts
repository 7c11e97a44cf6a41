/**
 * How many CPUs this process may use: Slurm's allotment
 * (`SLURM_CPUS_PER_TASK`), else the CPU affinity mask, else the machine's
 * cores. A job sizes the native kernel pool and OpenBLAS to it instead of
 * the node's core count, so jobs sharing a node do not oversubscribe it.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"

/** Count the CPUs of a list such as `0-3,8,10-11`. */
const countList = (list: string): number => {
  let n = 0
  for (const part of list.trim().split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (m) n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1
  }
  return n
}

/**
 * @since 0.1.0
 * @category utils
 */
export const allottedCpus = (env: NodeJS.ProcessEnv = process.env): number => {
  const slurm = Number(env.SLURM_CPUS_PER_TASK)
  if (Number.isInteger(slurm) && slurm > 0) return slurm
  try {
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync("/proc/self/status", "utf8"))
    const n = m ? countList(m[1]!) : 0
    if (n > 0) return Math.min(n, availableParallelism())
  } catch {
    /* no /proc: not Linux */
  }
  return availableParallelism()
}

/**
 * Size the thread pools to the allotment, unless the user set them. Must
 * run before the native addon (and OpenBLAS) is loaded.
 *
 * @since 0.1.0
 * @category utils
 */
export const pinThreadsToAllotment = (env: NodeJS.ProcessEnv = process.env): number => {
  const cpus = allottedCpus(env)
  env.CLIPCL_THREADS ??= String(cpus)
  env.OPENBLAS_NUM_THREADS ??= String(cpus)
  return cpus
}
