// Dependencies point one way: the DSL does not reach into the cache (both
// take the artifact kinds from src/formats), and src/formats, which engine
// and science share, imports nothing else of the project.
import { test } from "node:test"
import assert from "node:assert/strict"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const src = fileURLToPath(new URL("../../src/", import.meta.url))
const imports = (dir: string): Array<{ file: string; spec: string }> =>
  readdirSync(src + dir)
    .filter((f) => /\.tsx?$/.test(f))
    .flatMap((f) =>
      [...readFileSync(`${src}${dir}/${f}`, "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => ({ file: `${dir}/${f}`, spec: m[1]! }))
    )

test("src/dsl imports neither the cache nor the scheduler", () => {
  const bad = imports("dsl").filter((i) => /^\.\.\/(cache|scheduler)\//.test(i.spec))
  assert.deepEqual(bad, [])
})

test("src/formats imports only itself, effect, node and sharp", () => {
  const bad = imports("formats").filter((i) => !(i.spec.startsWith("./") || i.spec === "effect" || i.spec.startsWith("node:") || i.spec === "sharp"))
  assert.deepEqual(bad, [])
})
