import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))

test("fashion-mnist pipeline: a missing data folder fails the pretrain stage with the file named, exit 1", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-fmnist-cli-"))
  const empty = path.join(tmp, "no-data")
  fs.mkdirSync(empty)
  const r = spawnSync(process.execPath, ["bin/clipcl.js", "run", "pipelines/fashion-mnist.ts", "--cache", path.join(tmp, "c.sqlite"), "--no-tui", "--only", "pretrain"], {
    cwd: root, encoding: "utf8", env: { ...process.env, CLIPCL_FASHION_MNIST_DIR: empty }, timeout: 90_000
  })
  const out = r.stdout + r.stderr
  assert.equal(r.status, 1, out)
  assert.match(out, /pretrain/)
  assert.ok(out.includes(path.join(empty, "train-images-idx3-ubyte")), out)
  const ls = spawnSync(process.execPath, ["bin/clipcl.js", "cache", "ls", "--cache", path.join(tmp, "c.sqlite")], { cwd: root, encoding: "utf8" })
  assert.doesNotMatch(ls.stdout, /pretrain/)
})
