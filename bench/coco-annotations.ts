// Reading a COCO instances file of instances_train2014.json's size and shape (about 450 MB,
// generated into a temp folder and deleted after): time and peak RSS of openCocoCrops, in a
// fresh process, against JSON.parse of the same file (--compare; it needs a large heap).
//
//   node --import tsx bench/coco-annotations.ts [--mb 450] [--compare]
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { writeSyntheticInstances } from "../test/data/synthInstances.js"

const arg = (name: string) => process.argv.indexOf(name)
const mb = arg("--mb") > 0 ? Number(process.argv[arg("--mb") + 1]) : 450
const root = fileURLToPath(new URL("../", import.meta.url))
const dir = mkdtempSync(join(tmpdir(), "clipcl-coco-bench-"))
try {
  const file = join(dir, "instances_train2014.json")
  const t0 = performance.now()
  const { bytes, annotations } = writeSyntheticInstances(file, mb * 1e6)
  console.log(`generated ${(bytes / 1e6).toFixed(0)} MB, ${annotations} annotations in ${((performance.now() - t0) / 1e3).toFixed(1)} s`)
  // Modules load before the clock starts: the figure is the reading alone.
  const measure = (label: string, setup: string, body: string, nodeArgs: ReadonlyArray<string> = []) => {
    const script = `${setup}; const t = performance.now(); ${body}; process.stdout.write(JSON.stringify({ n, s: (performance.now() - t) / 1e3, rss: process.resourceUsage().maxRSS / 1024 / 1024 }))`
    const r = spawnSync(process.execPath, [...nodeArgs, "--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" })
    if (r.status !== 0) return console.log(`${label}: failed (${r.stderr.trim().split("\n").slice(-1)[0]})`)
    const m = JSON.parse(r.stdout) as { n: number; s: number; rss: number }
    console.log(`${label}: ${m.n} crops, ${m.s.toFixed(1)} s, peak RSS ${m.rss.toFixed(2)} GiB`)
  }
  const url = new URL("../src/data/coco.ts", import.meta.url).href
  measure("openCocoCrops (stream)", `const { openCocoCrops } = await import(${JSON.stringify(url)})`, `const n = (await openCocoCrops({ annotations: ${JSON.stringify(file)}, images: "/x" })).size`)
  if (arg("--compare") > 0) {
    measure("JSON.parse whole (the former reading)", `const fs = await import("node:fs")`, `const j = JSON.parse(fs.readFileSync(${JSON.stringify(file)}, "utf8")); const n = j.annotations.length`, ["--max-old-space-size=12288"])
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
