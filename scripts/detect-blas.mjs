// Which BLAS library the native addon links (binding.gyp reads this at
// configure time): prints "openblas", "accelerate" or "none".
//
//   macOS                      accelerate (Apple's, always present)
//   elsewhere                  openblas when a test program including <cblas.h>
//                              and linking -lopenblas compiles here, else none
//   CLIPCL_BLAS=none           none: build the addon's own GEMM only (CI's
//                              second pass, machines without libopenblas-dev)
//   CLIPCL_BLAS=openblas       openblas without checking (the build then fails
//                              loudly if it is missing)
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const detect = () => {
  const forced = (process.env.CLIPCL_BLAS ?? "").trim().toLowerCase()
  if (forced === "none" || forced === "vendored") return "none"
  if (forced === "openblas") return "openblas"
  if (process.platform === "darwin") return "accelerate"
  const dir = mkdtempSync(join(tmpdir(), "clipcl-blas-"))
  try {
    const src = join(dir, "probe.cc")
    writeFileSync(src, "#include <cblas.h>\nint main() { return openblas_get_num_threads() > 0 ? 0 : 1; }\n")
    const cxx = process.env.CXX || "c++"
    const r = spawnSync(cxx, [src, "-o", join(dir, "probe"), "-lopenblas"], { encoding: "utf8", shell: false })
    return r.status === 0 ? "openblas" : "none"
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

let result = "none"
try {
  result = detect()
} catch {
  result = "none"
}
process.stdout.write(`${result}\n`)
