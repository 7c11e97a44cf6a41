import { test } from "node:test"
import assert from "node:assert/strict"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { fingerprintOf } from "../../src/scheduler/keys.js"
import { evaluate } from "../../src/stages/evaluate.js"
import { finetune } from "../../src/stages/finetune.js"
import { moduleSources } from "../../src/dsl/moduleSources.js"
import { Either } from "effect"

const tree = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-sources-"))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return (name: string) => pathToFileURL(join(dir, name))
}
const names = (urls: ReadonlyArray<URL>) => urls.map((u) => u.pathname.split("/").pop())

test("moduleSources follows static, side-effect, re-export and dynamic imports, not types or comments", () => {
  const at = tree({
    "a.ts": `import { b } from "./b.js"\nimport "./side.js"\nexport * from "./re.js"\nimport type { T } from "./typeOnly.js"\n// import { x } from "./commented.js"\nconst d = () => import("./dyn.js")\n`,
    "b.ts": `import { c } from "./c.js"\nexport const b = 1\n`,
    "c.ts": `import { b } from "./b.js"\nexport const c = 2\n`, // a cycle
    "side.ts": "", "re.ts": "", "dyn.ts": "", "typeOnly.ts": "", "commented.ts": ""
  })
  assert.deepEqual(names(moduleSources(at("a.ts"))), ["a.ts", "b.ts", "c.ts", "dyn.ts", "re.ts", "side.ts"])
  assert.deepEqual(names(moduleSources(at("c.ts"))), ["b.ts", "c.ts"])
})

test("moduleSources fails, naming the file, when an import is missing", () => {
  const at = tree({ "a.ts": `import { b } from "./gone.js"\n` })
  assert.throws(() => moduleSources(at("a.ts")), /a\.ts imports \.\/gone\.js, which does not exist/)
})

test("a stage's fingerprint covers the science it runs and not the engine", () => {
  const ft = names(finetune.hashIncludes!.map((u) => u as URL))
  const ev = names(evaluate.hashIncludes!.map((u) => u as URL))
  assert.ok(ft.includes("train.ts") && ft.includes("vrlwf.ts") && ft.includes("finetune.ts"))
  assert.ok(ev.includes("retrieval.ts") && !ev.includes("vrlwf.ts") && !ev.includes("train.ts"))
  for (const u of [...finetune.hashIncludes!, ...evaluate.hashIncludes!]) {
    assert.ok(!/\/src\/(dsl|scheduler|cache|cli|ui)\/|\/stages\/sources\.ts$/.test(String(u)), `${String(u)} is engine code`)
  }
  assert.ok(Either.isRight(fingerprintOf(finetune as unknown as Parameters<typeof fingerprintOf>[0])))
})
