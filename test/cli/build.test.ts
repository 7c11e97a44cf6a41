// The CLI compiled in dist/ and the sources run through tsx are one program: same cache keys.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const built = existsSync(join(root, "dist", "bundle", "cli.js"))

const plan = (file: string, cache: string, fromSource: "0" | "1") => {
  const r = spawnSync(process.execPath, ["bin/clipcl.js", "plan", file, "--json", "--cache", cache], {
    cwd: root, encoding: "utf8", env: { ...process.env, CLIPCL_FROM_SOURCE: fromSource }, timeout: 180_000
  })
  assert.equal(r.status, 0, r.stderr)
  return r.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { stage: string; key: string })
}

test("a built and an unbuilt checkout compute the same cache keys", { skip: built ? false : "dist/ is not built (npm run build)" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-build-"))
  try {
    for (const file of ["pipelines/quickstart.ts", "pipelines/example-toy.ts"]) {
      const fromDist = plan(file, join(dir, "a.sqlite"), "0")
      const fromSource = plan(file, join(dir, "b.sqlite"), "1")
      assert.ok(fromDist.length > 0 && fromDist.every((e) => /^[0-9a-f]{64}$/.test(e.key)), file)
      assert.deepEqual(fromDist.map((e) => [e.stage, e.key]), fromSource.map((e) => [e.stage, e.key]), file)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
