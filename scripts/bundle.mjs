// Bundles the compiled dist/ into dist/bundle/: the CLI and the package's entry points (clipcl,
// clipcl/dsl, clipcl/stages) as ES modules sharing chunks, with effect inside them. Node's ES
// module loader spends most of a start in resolving and instantiating files; effect alone is 354
// of them. One copy of everything: the CLI and a user's pipeline importing `clipcl/stages` load
// the same chunks, and `effect` / `effect/X` imported by a pipeline resolve to the bundled copy
// (dist/bundle/effect.js, dist/bundle/effect/X.js; the redirect is in src/cli/load.ts).
// Every other package stays external (native addons, TensorFlow.js, ink, ...).
//
// Modules find files next to them through `import.meta.url` (moduleSources maps dist/ to src/,
// the native addon and assets are searched upwards): in the bundle each module keeps the URL it
// has in dist/, as if it had not moved.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import { join, relative, sep } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = fileURLToPath(new URL("../", import.meta.url))
const dist = join(root, "dist")
const out = join(dist, "bundle")

/** What effect's index exports besides its modules (from effect/Function). */
const FUNCTION_EXPORTS = new Set(["absurd", "flow", "hole", "identity", "pipe", "unsafeCoerce"])

/** `A, B as C` imported from "effect" as imports of effect's modules. */
const effectImports = (names, file) =>
  names
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "")
    .map((n) => {
      const m = /^(\w+)(?:\s+as\s+(\w+))?$/.exec(n)
      if (m === null) throw new Error(`${file}: cannot rewrite the effect import '${n}'`)
      const [, name, local = name] = m
      return FUNCTION_EXPORTS.has(name) ? `import { ${name} as ${local} } from "effect/Function";` : `import * as ${local} from "effect/${name}";`
    })
    .join(" ")

/** Bundle dist/ into dist/bundle/; returns the number of files written. */
export const bundle = async () => {
  const esbuild = await import("esbuild")
  rmSync(out, { recursive: true, force: true })

  /** clipcl's bare imports other than effect stay imports of node_modules; what effect imports (fast-check) is bundled with it. */
  const externals = {
    name: "clipcl-externals",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        const bundled = args.kind === "entry-point" || args.path === "effect" || args.path.startsWith("effect/") || args.importer.includes(`${sep}node_modules${sep}`)
        return bundled || args.path.startsWith("node:") ? undefined : { path: args.path, external: true }
      })
    }
  }

  /**
   * Two rewrites of each module of dist/:
   * - its `import.meta.url` stays its dist/ URL (relative to the bundle folder, which is flat);
   * - `import { Effect, Schema } from "effect"` imports effect's modules themselves
   *   (`effect/Effect`, `effect/Schema`): through effect's index every module of effect would
   *   reach the CLI's chunk (the `effect` entry uses them all), a third of a start's parsing.
   */
  const rewriteModules = {
    name: "clipcl-rewrite-modules",
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!args.path.startsWith(dist + sep) || args.path.startsWith(out + sep)) return undefined
        const rel = relative(out, args.path).split(sep).join("/")
        const text = (await readFile(args.path, "utf8"))
          .replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`)
          .replace(/import\s*\{([^}]*)\}\s*from\s*"effect";?/g, (_, names) => effectImports(names, args.path))
        return { contents: text, loader: "js" }
      })
    }
  }

  const effectEntry = join(out, ".effect-entry.js")
  mkdirSync(out, { recursive: true })
  writeFileSync(effectEntry, 'export * from "effect"\n')
  const result = await esbuild.build({
    entryPoints: {
      cli: join(dist, "cli", "main.js"),
      index: join(dist, "index.js"),
      dsl: join(dist, "dsl", "index.js"),
      stages: join(dist, "stages", "index.js"),
      effect: effectEntry,
      // Runs on Node's loader thread (src/cli/pipelineHooks.ts), shares nothing with the rest.
      hooks: join(dist, "cli", "pipelineHooks.js")
    },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: out,
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    // Error names and class names read as in the sources.
    keepNames: true,
    minifyWhitespace: true,
    minifySyntax: true,
    define: { CLIPCL_BUNDLE: "true" },
    plugins: [externals, rewriteModules],
    logLevel: "warning",
    metafile: true
  })
  rmSync(effectEntry)
  // CLIPCL_BUNDLE_META=FILE: esbuild's metafile, what each chunk holds (esbuild.github.io/analyze).
  if (process.env.CLIPCL_BUNDLE_META) writeFileSync(process.env.CLIPCL_BUNDLE_META, JSON.stringify(result.metafile))

  // effect/X for every module the effect index exports as a namespace: the members of the bundled one.
  const require = createRequire(join(root, "package.json"))
  const effectPkg = JSON.parse(readFileSync(require.resolve("effect/package.json"), "utf8"))
  const effectIndex = await import(pathToFileURL(join(out, "effect.js")).href)
  mkdirSync(join(out, "effect"), { recursive: true })
  let written = Object.keys(result.metafile.outputs).length
  for (const key of Object.keys(effectPkg.exports)) {
    const name = key.slice(2)
    if (!/^[A-Za-z]\w*$/.test(name)) continue
    const ns = effectIndex[name]
    if (ns === null || typeof ns !== "object") continue
    const members = Object.keys(ns)
    const lines = [`import { ${name} as m } from "../effect.js"`]
    members.forEach((member, i) => lines.push(`const m${i} = m[${JSON.stringify(member)}]`))
    lines.push(`export { ${members.map((member, i) => `m${i} as ${JSON.stringify(member)}`).join(", ")} }`)
    writeFileSync(join(out, "effect", `${name}.js`), `${lines.join("\n")}\n`)
    written++
  }
  return written
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const n = await bundle()
  console.log(`clipcl bundle: ${n} files in ${relative(root, out)}${sep}`)
}
