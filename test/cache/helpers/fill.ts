// A stage that fills the disk under CLIPCL_TEST_FILL (a file it grows until ENOSPC) and then
// returns a 600 KB value: the output and its run record, written together in one batch, no
// longer fit. With CLIPCL_TEST_FILL unset it only returns the value.
import { closeSync, openSync, writeSync } from "node:fs"
import { Schema } from "effect"
import { pipeline, stage, value } from "../../../src/dsl/index.js"

const fillDisk = (file: string): void => {
  const fd = openSync(file, "w")
  const block = Buffer.alloc(64 * 1024, 1)
  try {
    for (let n = block.length; n >= 512; ) {
      try {
        writeSync(fd, block, 0, n)
      } catch {
        n >>= 1
      }
    }
  } finally {
    closeSync(fd)
  }
}

const big = stage({
  name: "big",
  version: 1,
  params: Schema.Struct({ n: Schema.Number }),
  output: value<string>(),
  run: ({ params }) => {
    const fill = process.env.CLIPCL_TEST_FILL
    if (fill) fillDisk(fill)
    return "x".repeat(params.n)
  }
})

export default pipeline("cache-fill", (p) => {
  p.add(big, { params: { n: 600_000 } })
})
