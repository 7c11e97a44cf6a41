import { describe, it } from "node:test"
import assert from "node:assert/strict"
import { Effect } from "effect"
import { formatBytes, formatDuration, parseDuration, parseSize } from "../../src/cache/units.js"
import { failure } from "./helpers.js"

describe("units", () => {
  it("parses sizes with decimal and binary units", () => {
    const p = (s: string) => Effect.runSync(parseSize(s))
    assert.equal(p("20GB"), 20e9)
    assert.equal(p("512MiB"), 512 * 2 ** 20)
    assert.equal(p("1.5G"), 1.5 * 2 ** 30)
    assert.equal(p("100"), 100)
    assert.equal(p(" 3 kb "), 3000)
    assert.equal(p("2tib"), 2 * 2 ** 40)
  })

  it("parses durations, alone and combined", () => {
    const p = (s: string) => Effect.runSync(parseDuration(s))
    assert.equal(p("7d"), 7 * 86_400_000)
    assert.equal(p("1h30m"), 5_400_000)
    assert.equal(p("90s"), 90_000)
    assert.equal(p("2w"), 14 * 86_400_000)
    assert.equal(p("500ms"), 500)
    assert.equal(p("10min"), 600_000)
  })

  it("rejects nonsense with InvalidQuantity", async () => {
    for (const s of ["", "GB", "12 parsecs", "-5GB", "1e3"]) assert.equal((await failure(parseSize(s)))._tag, "InvalidQuantity")
    for (const s of ["", "7", "7 days", "d7", "1h30"]) assert.equal((await failure(parseDuration(s)))._tag, "InvalidQuantity")
  })

  it("formats", () => {
    assert.equal(formatBytes(512), "512 B")
    assert.equal(formatBytes(1.5 * 2 ** 30), "1.50 GiB")
    assert.equal(formatDuration(850), "850ms")
    assert.equal(formatDuration(3 * 86_400_000 + 4 * 3_600_000 + 5000), "3d 4h")
  })
})

describe("report formatting", async () => {
  const { formatGc, formatLs, formatVerify } = await import("../../src/cache/format.js")
  it("renders ls, verify and gc reports", () => {
    const ls = formatLs([
      { hash: "a".repeat(64) as never, kind: "checkpoint", size: 2 ** 30, chunks: 256, createdAt: 0, lastUsedAt: 0, pinned: true, protected: false, keys: 2 }
    ], 3_600_000)
    assert.match(ls, /^HASH\s+KIND/)
    assert.match(ls, /aaaaaaaaaaaa\s+checkpoint\s+1\.00 GiB\s+1h ago\s+2\s+pinned/)
    assert.equal(formatLs([]), "cache is empty")
    const v = formatVerify({ checked: 2, bytes: 10, corrupt: [{ hash: "b".repeat(64) as never, actual: null, detail: "chunk 1 of 2 is missing" }], removed: 0, evicted: 0, sqlite: "ok" })
    assert.match(v, /1 corrupt/)
    assert.match(v, /CORRUPT b{64}: chunk 1 of 2 is missing/)
    assert.match(formatGc({ evicted: [], freedBytes: 0, remainingBytes: 5, abandonedUploads: 0, inUse: 0, dryRun: true }), /^would evict 0/)
  })
})
