/**
 * The open set of methods: the built-in ones, and those a pipeline file
 * defines (`defineMethod` in `clipcl/stages`). Looked up by the name the
 * stage parameters give. A pipeline file registers its methods when it is
 * imported, so every process that loads it (`clipcl run`, `clipcl job run`
 * on a cluster node) knows them.
 *
 * Tensor-free.
 *
 * @since 0.1.0
 */
import { builtinMethods } from "./builtin.js"
import type { MethodEntry } from "./definition.js"

/**
 * A registered method and where it was defined (`undefined`: built in).
 *
 * @since 0.1.0
 * @category models
 */
export interface Registered {
  readonly entry: MethodEntry<string, any>
  /** The module that defined it, without query or hash (a re-import of the same file replaces it). */
  readonly module: string | undefined
}

const registry = new Map<string, Registered>(builtinMethods.map((m) => [m.name, { entry: m as MethodEntry<string, any>, module: undefined }]))

/**
 * Register a method defined in module `module`. Its name must be free, or
 * taken by an earlier import of the same module (watch mode, tests), which
 * it replaces.
 *
 * @since 0.1.0
 * @category constructors
 */
export const registerMethod = (entry: MethodEntry<string, any>, module: string): Registered => {
  const at = module.replace(/[?#].*$/, "")
  const known = registry.get(entry.name)
  if (known !== undefined && known.module !== at) {
    throw new Error(
      known.module === undefined
        ? `method '${entry.name}' is built in: give your method another name`
        : `method '${entry.name}' is already defined by ${known.module}`
    )
  }
  const registered = { entry, module: at }
  registry.set(entry.name, registered)
  return registered
}

/**
 * The method registered under `name`.
 *
 * @since 0.1.0
 * @category utils
 */
export const lookupMethod = (name: string): Registered | undefined => registry.get(name)

/**
 * The method registered under `name`, or an error listing the known ones.
 *
 * @since 0.1.0
 * @category utils
 */
export const methodNamed = (name: string): Registered => {
  const found = registry.get(name)
  if (found === undefined) throw new Error(`unknown method '${name}' (known: ${methodNames().join(", ")}; a pipeline file adds its own with defineMethod)`)
  return found
}

/**
 * The registered methods' names, built-in ones first.
 *
 * @since 0.1.0
 * @category utils
 */
export const methodNames = (): ReadonlyArray<string> => [...registry.keys()]
