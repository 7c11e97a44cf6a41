/**
 * Grid and list expansion for ablations. Pure: a grid
 * `{ alpha: [0, 0.5, 1], vocab: [10, 100] }` expands to the 6 settings of its
 * cartesian product, in row-major order (last key varies fastest), each with
 * a stable label such as `alpha=0.5,vocab=10` used in instance names.
 *
 * @since 0.1.0
 */

/**
 * A grid: each key ranges over a list of values.
 *
 * @since 0.1.0
 * @category models
 */
export type Grid = Readonly<Record<string, ReadonlyArray<unknown>>>

/**
 * One point of a grid.
 *
 * @since 0.1.0
 * @category models
 */
export type Setting<G extends Grid> = { readonly [K in keyof G]: G[K][number] }

/**
 * The label of a setting: `k=v` pairs in the setting's key order
 * (`formats/settingLabel.ts`, the one form results and plots show too).
 *
 * @since 0.1.0
 * @category utils
 */
export { settingLabel } from "../formats/settingLabel.js"

/**
 * The cartesian product of a grid (row-major; an empty grid gives one empty setting).
 *
 * @since 0.1.0
 * @category constructors
 */
export const expandGrid = <G extends Grid>(grid: G): ReadonlyArray<Setting<G>> => {
  const keys = Object.keys(grid)
  let out: Array<Record<string, unknown>> = [{}]
  for (const k of keys) {
    const values = grid[k]!
    const next: Array<Record<string, unknown>> = []
    for (const partial of out) for (const v of values) next.push({ ...partial, [k]: v })
    out = next
  }
  return out as unknown as ReadonlyArray<Setting<G>>
}
