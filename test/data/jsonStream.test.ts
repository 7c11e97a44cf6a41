// The streaming reader of large annotation files: the same values as JSON.parse whatever the chunk
// boundaries, only the named fields built, malformed input named with its byte offset, and memory
// that follows what is kept rather than the file's size.
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { after, test } from "node:test"
import { fileURLToPath } from "node:url"
import { streamJsonArrays } from "../../src/data/internal/jsonStream.js"
import { writeSyntheticInstances } from "./synthInstances.js"

const dir = mkdtempSync(join(tmpdir(), "clipcl-jsonstream-"))
after(() => rmSync(dir, { recursive: true, force: true }))

const write = (name: string, text: string) => {
  const f = join(dir, name)
  writeFileSync(f, text)
  return f
}

const collect = (file: string, fields: Record<string, ReadonlyArray<string>>, chunkBytes?: number) => {
  const out: Record<string, Array<Record<string, unknown>>> = {}
  const found = streamJsonArrays(
    file,
    Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, { fields: f, each: (r: Record<string, unknown>) => void (out[k] ??= []).push(r) }])),
    chunkBytes === undefined ? {} : { chunkBytes }
  )
  return { out, found }
}

const pickAll = (value: unknown, fields: Record<string, ReadonlyArray<string>>) => {
  const out: Record<string, Array<Record<string, unknown>>> = {}
  for (const [k, f] of Object.entries(fields)) {
    const arr = (value as Record<string, unknown>)[k] as Array<unknown>
    out[k] = arr.map((e) => (typeof e === "object" && e !== null && !Array.isArray(e) ? Object.fromEntries(f.filter((x) => x in e).map((x) => [x, (e as Record<string, unknown>)[x]])) : {}))
  }
  return out
}

test("the kept fields equal JSON.parse's, at every chunk size, with escapes, unicode and nesting", () => {
  const doc = {
    info: { description: "skip me \"quoted\" {not a brace} [nor this]", nested: [[1, 2, [3]], { a: "}" }] },
    images: [
      { id: 1, file_name: "a b.jpg", width: 640, extra: { deep: ["x", "y\\\\"] } },
      { id: 2.5e3, file_name: "caf\u00e9 \u65e5\u672c \ud83d\ude00.jpg" },
      { id: -3, file_name: "esc \\\" \\\\ \\n \\u0041 \\/ end\\\\" },
      7,
      null,
      { file_name: "" }
    ],
    annotations: [
      { id: 10, image_id: 1, bbox: [1.5, 2, 30.25, 4e1], segmentation: [[1, 2, 3, 4, 5.5, 6]], iscrowd: 0, category_id: 3 },
      { id: 11, image_id: 2, bbox: [0, 0, 1, 1], segmentation: { counts: "abc\\\"def", size: [2, 3] }, iscrowd: 1, category_id: 1, caption: null, ok: true, no: false }
    ],
    categories: [{ id: 3, name: "person", supercategory: "x" }, { id: 1, name: "bike" }],
    licenses: []
  }
  const fields = { images: ["id", "file_name"], annotations: ["id", "image_id", "bbox", "iscrowd", "category_id", "caption", "ok", "no", "segmentation"], categories: ["name"] }
  const expected = pickAll(doc, fields)
  for (const spacing of [undefined, 2]) {
    const f = write(`doc-${spacing}.json`, JSON.stringify(doc, null, spacing).replace(/"caf/, '"caf'))
    for (const chunk of [1, 2, 3, 5, 7, 16, 64, 4096]) {
      const { out, found } = collect(f, fields, chunk)
      assert.deepEqual(out, expected, `chunk ${chunk}, spacing ${spacing}`)
      assert.deepEqual([...found].sort(), ["annotations", "categories", "images"])
    }
  }
  // A field not asked for is skipped whole, however large or odd.
  const { out } = collect(write("some.json", JSON.stringify(doc)), { categories: ["id"] }, 3)
  assert.deepEqual(out, { categories: [{ id: 3 }, { id: 1 }] })
})

test("malformed files fail with the byte offset; a named field that is not an array fails by name", () => {
  const cases: Array<[string, RegExp]> = [
    ['{"images": [{"id": 1,}]}', /not valid JSON at byte 21: expected/],
    ['{"images": [{"id": 1}]', /unexpected end of file/],
    ['{"images": [{"id": "x}]}', /unterminated string/],
    ['{"images": [{"id": 01}]}', /unexpected "01"/],
    ['{"images": [{"id": 1}]} x', /unexpected data after the top-level object/],
    ['{"images": [1 2]}', /expected ',' or '\]'/],
    ['{"info": [1, 2}', /unexpected '}'/],
    ['{"images": {"id": 1}}', /field "images" is not an array/],
    ['[1, 2]', /expected '\{'/]
  ]
  for (const [text, re] of cases) {
    const f = write("bad.json", text)
    for (const chunk of [1, 4096]) assert.throws(() => collect(f, { images: ["id"] }, chunk), re, `${text} (chunk ${chunk})`)
  }
  assert.throws(() => collect(join(dir, "absent.json"), { images: ["id"] }), /absent\.json/)
})

test("peak memory follows what is kept, not the file: a synthetic instances file of 60 MB", () => {
  const file = join(dir, "instances.json")
  const { bytes, annotations } = writeSyntheticInstances(file, 60 << 20)
  // A child process, so that this process's heap does not blur the figure.
  const script = `
    import { openCocoCrops } from ${JSON.stringify(new URL("../../src/data/coco.ts", import.meta.url).href)}
    const set = await openCocoCrops({ annotations: ${JSON.stringify(file)}, images: "/nonexistent", size: 8 })
    process.stdout.write(JSON.stringify({ size: set.size, rss: process.resourceUsage().maxRSS * 1024 }))
  `
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: fileURLToPath(new URL("../../", import.meta.url)) })
  assert.equal(r.status, 0, r.stderr)
  const { size, rss } = JSON.parse(r.stdout) as { size: number; rss: number }
  assert.equal(size, annotations)
  // JSON.parse alone needs the text twice over plus every polygon as JS arrays (> 5x the file);
  // the stream keeps ~200 bytes per box over Node's own ~150 MB (tsx included).
  assert.ok(rss < 200e6 + annotations * 400, `peak RSS ${(rss / 1e6).toFixed(0)} MB for a ${(bytes / 1e6).toFixed(0)} MB file with ${annotations} boxes`)
})
