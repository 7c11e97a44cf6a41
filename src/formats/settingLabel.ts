/**
 * How a sweep setting is written for people, in one form everywhere: in
 * stage instance names (`finetune[alpha=0.5,vocab=10]`, which `clipcl run`
 * targets and run records use), in the Setting column of result tables and
 * in plot legends.
 *
 * @since 0.1.0
 */

const formatValue = (v: unknown): string => {
  if (typeof v === "string") return v
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v)
  return JSON.stringify(v)
}

/**
 * The label of a setting: `k=v` pairs in the setting's key order, joined by
 * `,` (`""` for the empty setting). Strings are written bare, numbers as
 * JavaScript prints them, anything else as JSON.
 *
 * @since 0.1.0
 * @category utils
 */
export const settingLabel = (setting: Readonly<Record<string, unknown>>): string =>
  Object.keys(setting)
    .map((k) => `${k}=${formatValue(setting[k])}`)
    .join(",")
