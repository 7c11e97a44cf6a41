// The package's install script: builds the native kernel pack (native/, an
// N-API addon) with node-gyp. Its GEMM is OpenBLAS's where libopenblas-dev is
// installed (Accelerate's on macOS), else the addon's own (scripts/
// detect-blas.mjs decides). It NEVER fails the install: when the build cannot
// run (no compiler, no node-gyp) it prints one notice saying how to get the
// fast path, and clipcl runs on the wasm or plain cpu backend. The full
// compiler output goes to native/build-native.log.
//
//   CLIPCL_SKIP_NATIVE=1   skip the build (wasm / plain cpu backends only)
//   CLIPCL_BLAS=none       build without OpenBLAS even where it is installed
import { spawnSync } from "node:child_process"
import { existsSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const native = join(root, "native")
const log = join(native, "build-native.log")

const hint =
  "clipcl: the native CPU kernels were not built, so TensorFlow.js will run on its slower wasm or plain-JavaScript cpu backend.\n" +
  "  To get the fast path: install a C++ toolchain, ideally with OpenBLAS (Debian/Ubuntu: sudo apt-get install build-essential python3 libopenblas-dev),\n" +
  "  then run `npm rebuild clipcl` (in a clipcl checkout: `npm run build:native`)."

const notice = (reason) => {
  console.warn(`${hint}\n  Reason: ${reason}${existsSync(log) ? ` (details: ${log})` : ""}`)
}

const findNodeGyp = () => {
  const require = createRequire(import.meta.url)
  try {
    return require.resolve("node-gyp/bin/node-gyp.js")
  } catch {
    // npm passes its own bundled node-gyp to install scripts.
    const fromNpm = process.env.npm_config_node_gyp
    return fromNpm && existsSync(fromNpm) ? fromNpm : undefined
  }
}

const main = () => {
  if (process.env.CLIPCL_SKIP_NATIVE === "1") {
    console.warn("clipcl: CLIPCL_SKIP_NATIVE=1, not building the native CPU kernels.")
    return
  }
  if (!existsSync(join(native, "binding.gyp"))) return notice("native/binding.gyp is missing from this copy of clipcl")
  const gyp = findNodeGyp()
  if (gyp === undefined) return notice("node-gyp was not found")
  // Prefer the headers installed beside this node (Debian's nodejs-dev puts
  // them in /usr/include/node) over node-gyp's download of them.
  const prefix = dirname(dirname(process.execPath))
  const args = [gyp, "rebuild", "--directory", native]
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "common.gypi"))) args.push(`--nodedir=${prefix}`)
  const r = spawnSync(process.execPath, args, { cwd: native, encoding: "utf8", env: process.env })
  writeFileSync(log, `${r.stdout ?? ""}\n${r.stderr ?? ""}\n${r.error ? String(r.error) : ""}`)
  if (r.status !== 0) {
    const text = `${r.stdout ?? ""}\n${r.stderr ?? ""}`
    const reason = /not found: (make|g\+\+|c\+\+)|command not found|No such file or directory.*(make|g\+\+)/.test(text)
      ? "no C++ compiler or make"
      : /headers\.tar\.gz|ENOTFOUND|EAI_AGAIN/.test(text)
        ? "node-gyp could not get the Node.js headers (offline? set npm_config_nodedir to a Node install with include/node)"
        : `node-gyp exited with status ${r.status ?? r.signal ?? r.error}`
    return notice(reason)
  }
  const addon = join(native, "build", "Release", "clipcl_native.node")
  const check = spawnSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(addon)}).info().blas)`], { encoding: "utf8" })
  if (check.status !== 0) return notice(`the addon built but does not load: ${(check.stderr ?? "").split("\n").find((l) => l.trim()) ?? "unknown error"}`)
  const blas = check.stdout.trim()
  console.log(
    blas === "openblas"
      ? "clipcl: native CPU kernels built (OpenBLAS)."
      : blas === "accelerate"
        ? "clipcl: native CPU kernels built (Accelerate)."
        : "clipcl: native CPU kernels built with their own GEMM (install libopenblas-dev and run `npm run build:native` for a faster one)."
  )
}

try {
  main()
} catch (cause) {
  notice(String(cause))
}
process.exit(0)
