// Compiles src/ to dist/ (JavaScript and declarations), bundles it into dist/bundle/ (what runs:
// scripts/bundle.mjs says why), then stamps the build: bin/clipcl.js runs
// dist/ only while no source file is newer than the stamp. Run as `npm run build`, and by npm as
// the `prepare` script (after `npm install` / `npm ci` in a checkout, and before `npm pack`).
import { spawnSync } from "node:child_process"
import { rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../", import.meta.url))
let tsc
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
} catch {
  // An install without dev dependencies cannot build; the published package ships dist/.
  console.error("clipcl build: typescript is not installed (npm install --include=dev); skipped")
  process.exit(0)
}
rmSync(new URL("../dist/", import.meta.url), { recursive: true, force: true })
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" })
if (r.status !== 0) process.exit(r.status ?? 1)
const { bundle } = await import("./bundle.mjs")
await bundle()
writeFileSync(new URL("../dist/.built", import.meta.url), `${new Date().toISOString()}\n`)
