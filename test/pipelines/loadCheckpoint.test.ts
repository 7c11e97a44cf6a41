import assert from "node:assert/strict"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { test } from "node:test"
import { customConfig } from "../../src/clip/config.js"
import { createClip } from "../../src/clip/model.js"
import { CheckpointFileError, checkpointFile } from "../../src/stages/loadCheckpoint.js"

test("checkpointFile hashes the file's bytes and names a missing file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clipcl-ckpt-"))
  const file = path.join(dir, "tiny.safetensors")
  const model = createClip(customConfig({ imageSize: 32, patchSize: 16, visionWidth: 32, visionLayers: 1, visionHeads: 1, textWidth: 32, textLayers: 1, textHeads: 1, embedDim: 32, contextLength: 8 }), 0)
  const bytes = model.toSafetensors()
  model.dispose()
  fs.writeFileSync(file, bytes)
  const p = checkpointFile(file)
  assert.equal(p.path, file)
  assert.equal(p.sha256, createHash("sha256").update(bytes).digest("hex"))
  fs.writeFileSync(file, bytes.subarray(1))
  assert.notEqual(checkpointFile(file).sha256, p.sha256)
  assert.throws(() => checkpointFile(path.join(dir, "nope.safetensors")), (e: unknown) =>
    e instanceof CheckpointFileError && e.message.includes("nope.safetensors") && e.message.includes("not found"))
})
