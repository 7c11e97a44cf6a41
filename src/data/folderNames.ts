/**
 * Names in a folder in the order readers take them: digit runs compare as
 * numbers ("img2" before "img10"), then code units, so an order (and the
 * labels it assigns) is the same on every machine. Tensor- and image-free:
 * a data source's parameters list class folders when they are decoded,
 * before anything is read.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { DataFileMissing } from "./errors.js"

/**
 * Compares names with digit runs as numbers, then code units: deterministic, locale-free.
 *
 * @since 0.1.0
 * @category utils
 */
export const naturalCompare = (a: string, b: string): number => {
  const re = /(\d+)|(\D+)/g
  const pa = a.match(re) ?? []
  const pb = b.match(re) ?? []
  for (let k = 0; k < Math.min(pa.length, pb.length); k++) {
    const x = pa[k]!
    const y = pb[k]!
    const nx = /^\d/.test(x)
    const ny = /^\d/.test(y)
    if (nx && ny) {
      const d = Number(x) - Number(y)
      if (d !== 0) return d
      if (x.length !== y.length) return x.length - y.length
    } else if (x !== y) return x < y ? -1 : 1
  }
  if (pa.length !== pb.length) return pa.length - pb.length
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The entries of a folder; a missing or unreadable folder is `DataFileMissing`.
 *
 * @since 0.1.0
 * @category utils
 */
export const listDir = (dir: string): Array<fs.Dirent> => {
  try {
    return fs.readdirSync(dir, { withFileTypes: true })
  } catch (cause) {
    throw new DataFileMissing({ file: dir, cause })
  }
}

/**
 * The class folder names under `root`, in the order labels are assigned.
 *
 * @since 0.1.0
 * @category utils
 */
export const folderClasses = (root: string): Array<string> =>
  listDir(root).filter((d) => d.isDirectory()).map((d) => d.name).sort(naturalCompare)
