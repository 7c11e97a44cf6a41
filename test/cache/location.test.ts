// A cache path that cannot be used (its parent is a file, a read-only folder), given by --cache or
// by CLIPCL_CACHE, to `run` and `cache stats`: one clear line naming the path and the reason,
// exit 1 (a cache failure, as docs/cli.md says), never an internal error or a stack trace.
import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { chmodSync, mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { main } from "../../src/cli/main.js"
import { tempDir } from "./helpers.js"
import { mountTmpfs, mustMount } from "./helpers/mount.js"

const OK = resolve("test/fixtures/pipelines/ok.ts")

const cli = async (args: string[], env: Record<string, string> = {}) => {
  let out = ""
  let err = ""
  const saved = { ...process.env }
  Object.assign(process.env, env)
  try {
    const code = await main(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), isTTY: false, onInterrupt: () => () => {} })
    return { code, out, err }
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
}

/** Every way of pointing clipcl at `cache`: both commands, by flag and by environment. */
const attempts = (cache: string): Array<[string, string[], Record<string, string>]> => [
  ["run --cache", ["run", OK, "--json", "--cache", cache], {}],
  ["cache stats --cache", ["cache", "stats", "--cache", cache], {}],
  ["run with CLIPCL_CACHE", ["run", OK, "--json"], { CLIPCL_CACHE: cache }],
  ["cache stats with CLIPCL_CACHE", ["cache", "stats"], { CLIPCL_CACHE: cache }]
]

const expectOneLine = async (cache: string, reason: RegExp) => {
  for (const [what, args, env] of attempts(cache)) {
    const r = await cli(args, env)
    assert.equal(r.code, 1, `${what}: exit code (stderr: ${r.err})`)
    const lines = r.err.trimEnd().split("\n")
    assert.equal(lines.length, 1, `${what}: one line, got:\n${r.err}`)
    assert.doesNotMatch(r.err, /internal error|\n\s+at /, what)
    assert.ok(lines[0]!.includes(cache) || lines[0]!.includes(resolve(cache, "..")), `${what}: names the path: ${lines[0]}`)
    assert.match(lines[0]!, reason, what)
  }
}

describe("unusable cache locations", () => {
  it("a parent that is a regular file", async () => {
    const { dir, cleanup } = tempDir()
    try {
      const file = join(dir, "plain")
      writeFileSync(file, "not a folder")
      await expectOneLine(join(file, "sub", "c.sqlite"), new RegExp(`cannot open the cache .*: ${file.replace(/[/.]/g, "\\$&")} is a file, not a folder`))
      await expectOneLine(join(file, "c.sqlite"), /is a file, not a folder/)
    } finally {
      cleanup()
    }
  })

  it("a read-only folder, for a new cache", async (t) => {
    const { dir, cleanup } = tempDir()
    try {
      const ro = join(dir, "ro")
      mkdirSync(ro)
      let unmount: (() => void) | undefined
      if (process.getuid?.() === 0) {
        // Root ignores permission bits: a read-only mount is the read-only folder.
        const m = mountTmpfs(ro, "1m", true)
        if (typeof m === "string") {
          if (mustMount()) assert.fail(`the read-only test needs a tmpfs in CI: ${m}`)
          t.skip(`no read-only tmpfs (${m})`)
          return
        }
        unmount = m
      } else chmodSync(ro, 0o555)
      try {
        await expectOneLine(join(ro, "sub", "c.sqlite"), /cannot create the folder .*(read-only file system|permission denied)/)
        await expectOneLine(join(ro, "c.sqlite"), /the folder .* is not writable: (read-only file system|permission denied)/)
      } finally {
        unmount?.()
        chmodSync(ro, 0o755)
      }
    } finally {
      cleanup()
    }
  })
})
