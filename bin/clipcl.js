#!/usr/bin/env node
// clipcl entry. The CLI runs as compiled, bundled JavaScript from dist/bundle/ (built by `npm run build`, which
// `npm install` / `npm ci` run in a checkout as the `prepare` script, and which the published
// package ships). A checkout whose dist/ is missing or older than src/ runs the sources through
// tsx instead (slower to start) and says what to run. tsx is otherwise loaded only to import a
// pipeline's TypeScript file (src/cli/load.ts).
import { readdirSync, readFileSync, statSync } from "node:fs"

const root = new URL("../", import.meta.url)
const argv = process.argv.slice(2)

// Answered before anything loads: `clipcl --version` is a start-up check in scripts.
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "version")) {
  const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8"))
  process.stdout.write(`clipcl ${pkg.version}\n`)
  process.exit(0)
}

// React's production build: the development one doubles the live view's cost per frame.
// Set before anything imports React (hence the dynamic imports below).
process.env.NODE_ENV ??= "production"

const mtime = (url) => {
  try {
    return statSync(url).mtimeMs
  } catch {
    return undefined
  }
}

/** Why dist/ cannot run this checkout's code, or undefined when it can. */
const staleness = () => {
  const built = mtime(new URL("dist/.built", root))
  if (built === undefined || mtime(new URL("dist/bundle/cli.js", root)) === undefined) return "dist/ is not built"
  let src
  try {
    src = readdirSync(new URL("src/", root), { recursive: true })
  } catch {
    return undefined // an installed package may ship dist/ alone
  }
  for (const f of src) {
    if (!/\.tsx?$/.test(f)) continue
    const m = mtime(new URL(`src/${f}`, root))
    if (m !== undefined && m > built) return `src/${f} is newer than dist/`
  }
  return undefined
}

// CLIPCL_FROM_SOURCE=1 runs the sources, =0 runs dist/ however old (the tests compare the two).
const forced = process.env.CLIPCL_FROM_SOURCE
const why = forced === "1" ? "CLIPCL_FROM_SOURCE=1" : forced === "0" ? undefined : staleness()
if (why === undefined) {
  await import(new URL("dist/bundle/cli.js", root).href)
} else {
  if (process.stderr.isTTY && process.env.CLIPCL_FROM_SOURCE !== "1") {
    process.stderr.write(`clipcl: ${why}; running from the sources (slow start). Run \`npm run build\` to fix.\n`)
  }
  const { register } = await import("tsx/esm/api")
  register()
  // `clipcl/...` imports (the example pipelines') resolve to src/ too (package.json's exports).
  const { register: registerHooks } = await import("node:module")
  const sourceCondition = `export const resolve = (s, c, next) => next(s, { ...c, conditions: [...c.conditions, "clipcl-source"] })`
  registerHooks(`data:text/javascript,${encodeURIComponent(sourceCondition)}`)
  await import(new URL("src/cli/main.ts", root).href)
}
