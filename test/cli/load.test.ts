// Loading pipeline files in a real process: a top-level await that never settles is named.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { resolve } from "node:path"

describe("loading a pipeline file", () => {
  it("whose top-level await never settles: names the file, exit 2", () => {
    const file = "test/cli/fixtures/never.ts"
    const r = spawnSync(process.execPath, [resolve("bin/clipcl.js"), "run", file, "--json"], { encoding: "utf8", timeout: 60_000 })
    assert.equal(r.status, 2, `exit code (stderr: ${r.stderr})`)
    assert.equal(r.stderr.trim(), `clipcl: ${file}: never finished loading: its top-level await never settles (nothing is left running that could settle it)`)
  })
})
