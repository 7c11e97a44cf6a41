// `node --import ./bench/loaded-packages.mjs ...`: appends the name of every package the process
// imports (bare specifiers, resolved) to the file $CLIPCL_LOADED_PACKAGES, one per line. The
// start-up benchmark and test/cli/startup.test.ts use it to see what a command loads.
import { register } from "node:module"

const out = process.env.CLIPCL_LOADED_PACKAGES
if (out) {
  const hook = `
    import { appendFileSync } from "node:fs"
    const seen = new Set()
    export const resolve = async (specifier, context, next) => {
      const r = await next(specifier, context)
      if (!/^(node:|[./]|file:|data:)/.test(specifier)) {
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]
        if (!seen.has(name)) {
          seen.add(name)
          appendFileSync(${JSON.stringify(out)}, name + "\\n")
        }
      }
      return r
    }`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
}
