// npm run bench:compute -- [flags]
//
// The native kernel pack vs tfjs's plain cpu backend vs PyTorch (CPU, same
// threads, same shapes; bench/torch_clip.py run with /usr/bin/python3) vs
// OpenBLAS called from C (native/build/Release/gemm_ref):
//   1. GEMM GFLOP/s at 256, 512, 1024 through tf.matMul, with the BLAS
//      library the addon links and with its own GEMM (CLIPCL_GEMM=vendored);
//   2. ms per training step (forward, backward, Adam) of a small CLIP
//      (clipcl's own createClip, contrastiveLoss and Adam);
//   3. images/s of a ViT-B/32 image-encoder forward pass (random weights).
// Then, with --profile, where the native step's time goes, per kernel.
//
// Flags (defaults in brackets): --batch [64] --image [32] --patch [4]
// --vision-width [128] --vision-layers [4] --vision-heads [2] --text-width [128]
// --text-layers [4] --text-heads [2] --context [32] --embed [128]
// --steps [5] --vit-batch [8] --vit-reps [3] --threads [2]
// --cpu-train (also time the plain cpu backend's step: ~1 min+ per step)
// --cpu-vit (also the plain cpu backend's ViT-B/32 forward: minutes)
// --gemm-rounds [3] --no-torch --no-c --only gemm,train,vit --profile
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { loadavg } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import {
  initBackend,
  NATIVE_BACKEND,
  nativeStatus,
  profileKernels,
  registerNativeBackend,
  setNativeGemm,
  setNativeThreads,
  type KernelTiming
} from "../src/backend/index.js"
import { tf } from "../src/backend/tf.js"
import { customConfig, ViT_B_32, type ClipConfig } from "../src/clip/config.js"
import { createClip } from "../src/clip/model.js"
import { paramSpecs } from "../src/clip/parameters.js"
import { visionTransformer } from "../src/clip/visionTransformer.js"
import { makeAdam } from "../src/methods/adam.js"
import { contrastiveLoss } from "../src/methods/contrastive.js"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const argv = process.argv.slice(2)
const flag = (name: string): boolean => argv.includes(`--${name}`)
const num = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt
}
const onlyArg = argv.indexOf("--only")
const only = onlyArg >= 0 ? new Set((argv[onlyArg + 1] ?? "").split(",")) : new Set(["gemm", "train", "vit"])
const threads = num("threads", 2)

const reg = registerNativeBackend()
if (!reg.ok) {
  console.error(`native kernel pack unavailable: ${reg.reason}`)
  process.exit(1)
}
setNativeThreads(threads)
// Instantiates cpu through initBackend, which silences its "install tfjs-node" banner.
await initBackend("cpu")

const small: ClipConfig = customConfig({
  imageSize: num("image", 32),
  patchSize: num("patch", 4),
  visionWidth: num("vision-width", 128),
  visionLayers: num("vision-layers", 4),
  visionHeads: num("vision-heads", 2),
  textWidth: num("text-width", 128),
  textLayers: num("text-layers", 4),
  textHeads: num("text-heads", 2),
  embedDim: num("embed", 128),
  contextLength: num("context", 32),
})
const batch = num("batch", 64)

// ---------------------------------------------------------------- helpers
const fmt = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits))
const table = (title: string, header: string[], rows: string[][]): void => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`
  console.log(`\n${title}\n${line(header)}\n| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`)
  rows.forEach((r) => console.log(line(r)))
}

const torchResults = (opts: object): Array<Record<string, number | string>> => {
  if (flag("no-torch")) return []
  const python = process.env.CLIPCL_TORCH_PYTHON ?? "/usr/bin/python3"
  const r = spawnSync(python, [join(root, "bench", "torch_clip.py"), JSON.stringify({ threads, ...opts })], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  })
  if (r.status !== 0) {
    console.log(`(PyTorch reference skipped: ${python} bench/torch_clip.py failed: ${(r.stderr || String(r.error)).trim().split("\n").pop()})`)
    return []
  }
  return r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
}

const cGemm = (sizes: number[]): Map<number, number> => {
  const out = new Map<number, number>()
  const exe = join(root, "native", "build", "Release", "gemm_ref")
  if (flag("no-c") || !existsSync(exe)) return out
  const r = spawnSync(exe, sizes.map(String), { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) } })
  for (const line of r.stdout.trim().split("\n")) {
    const [n, g] = line.split(" ").map(Number)
    if (Number.isFinite(n) && Number.isFinite(g)) out.set(n, g)
  }
  return out
}

const timeBest = (f: () => void, minReps: number, budgetMs: number): number => {
  f()
  let best = Infinity
  const t0 = performance.now()
  for (let i = 0; i < minReps || (performance.now() - t0 < budgetMs && i < 5000); i++) {
    const s = performance.now()
    f()
    best = Math.min(best, performance.now() - s)
  }
  return best
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

// ---------------------------------------------------------------- 1. GEMM
const gemmSizes = [256, 512, 1024]
const gemmOn = (backend: string, n: number, reps: number, budget: number): number => {
  tf.setBackend(backend)
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1)
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2)
  const ms = timeBest(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), reps, budget)
  a.dispose()
  b.dispose()
  return (2 * n ** 3) / (ms / 1000) / 1e9
}

// ---------------------------------------------------------------- 2. training step
interface Step {
  run(): number
  dispose(): void
}

const makeStep = (backend: string, config: ClipConfig, n: number): Step => {
  tf.setBackend(backend)
  const model = createClip(config, 7)
  const vars = model.trainableVariables({ encoder: "all" })
  const adam = makeAdam(vars, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 })
  const pixels = tf.randomNormal([n, config.imageSize, config.imageSize, 3], 0, 1, "float32", 3) as tf.Tensor4D
  const rows: number[][] = []
  for (let i = 0; i < n; i++) {
    const end = 2 + ((i * 7919) % (config.contextLength - 2))
    const row = new Array<number>(config.contextLength).fill(0)
    row[0] = config.vocabSize - 2
    for (let j = 1; j < end; j++) row[j] = 1 + ((i * 131 + j * 977) % (config.vocabSize - 3))
    row[end] = config.vocabSize - 1
    rows.push(row)
  }
  const ids = tf.tensor2d(rows, [n, config.contextLength], "int32")
  return {
    run: () => {
      tf.setBackend(backend)
      const { value, grads } = tf.variableGrads(
        () => contrastiveLoss(model.encodeImage(pixels), model.encodeText(ids), model.logitScaleTensor()),
        vars
      )
      adam.apply(vars.map((v) => grads[v.name]), 1e-4)
      const loss = value.dataSync()[0]
      value.dispose()
      Object.values(grads).forEach((g) => g.dispose())
      return loss
    },
    dispose: () => {
      adam.dispose()
      model.dispose()
      pixels.dispose()
      ids.dispose()
    },
  }
}

const timeSteps = (step: Step, steps: number, warmup: number): number[] => {
  for (let i = 0; i < warmup; i++) step.run()
  const times: number[] = []
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now()
    step.run()
    times.push(performance.now() - t0)
  }
  return times
}

// ---------------------------------------------------------------- 3. ViT-B/32 forward
const vitImagesPerSec = (backend: string, n: number, reps: number): number => {
  tf.setBackend(backend)
  const params = new Map<string, tf.Tensor>()
  paramSpecs(ViT_B_32)
    .filter((s) => s.tower === "image")
    .forEach((s, i) => {
      params.set(s.name, s.init.kind === "normal" ? tf.randomNormal([...s.shape], 0, s.init.std, "float32", i) : tf.fill([...s.shape], s.init.value))
    })
  const pixels = tf.randomNormal([n, 224, 224, 3], 0, 1, "float32", 5) as tf.Tensor4D
  const lookup = (name: string): tf.Tensor => params.get(name) ?? (() => { throw new Error(`no parameter ${name}`) })()
  const ms = timeBest(() => tf.tidy(() => void visionTransformer(pixels, lookup, ViT_B_32).dataSync()), reps, 0)
  params.forEach((t) => t.dispose())
  pixels.dispose()
  return (n / ms) * 1000
}

// ---------------------------------------------------------------- main
console.log(`clipcl compute bench: ${threads} threads; native GEMM = ${nativeStatus()?.gemm}${reg.info.blasConfig ? ` (${reg.info.blasConfig})` : ""}; load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`)
console.log(`(timings on a shared machine: ratios within one run are what count)`)

const torchOpts: Record<string, unknown> = {}
if (only.has("gemm")) torchOpts.gemm = gemmSizes
if (only.has("train")) torchOpts.train = { ...small, batch, steps: num("steps", 5), warmup: 2 }
if (only.has("vit")) torchOpts.vit = { batch: num("vit-batch", 8), reps: num("vit-reps", 3) }

if (only.has("gemm")) {
  const hasBlas = reg.info.blas !== "none"
  const startGemm = nativeStatus()?.gemm ?? "vendored"
  const gemmWith = (gemm: "vendored" | "blas", n: number, reps: number, budget: number): number => {
    setNativeGemm(gemm)
    return gemmOn(NATIVE_BACKEND, n, reps, budget)
  }
  // Warm up (JIT, OpenBLAS's threads and buffers) before anything is timed.
  if (hasBlas) gemmWith("blas", 512, 20, 500)
  gemmWith("vendored", 512, 20, 500)
  // The machine's load changes by the second: alternate the three paths for
  // a few rounds and keep each one's best, so each gets the same quiet moments.
  const rounds = num("gemm-rounds", 3)
  const c = new Map<number, number>()
  const native = gemmSizes.map(() => 0)
  const own = gemmSizes.map(() => 0)
  const torch: Array<Record<string, number | string>> = []
  for (let r = 0; r < rounds; r++) {
    for (const [n, g] of cGemm(gemmSizes)) c.set(n, Math.max(c.get(n) ?? 0, g))
    gemmSizes.forEach((n, i) => {
      if (hasBlas) native[i] = Math.max(native[i], gemmWith("blas", n, 20, 1500))
      own[i] = Math.max(own[i], gemmWith("vendored", n, 20, 1500))
    })
    for (const t of torchResults({ gemm: gemmSizes })) {
      if (t.what !== "gemm") continue
      const prev = torch.find((x) => x.n === t.n)
      if (prev === undefined) torch.push(t)
      else prev.gflops = Math.max(prev.gflops as number, t.gflops as number)
    }
  }
  setNativeGemm(startGemm === "vendored" ? "vendored" : "blas")
  const cpu = gemmSizes.map((n) => gemmOn("cpu", n, 1, 0))
  const pct = (x: number, y: number | undefined): string => (y ? `${fmt((x / y) * 100, 0)}%` : "-")
  table(
    `1. GEMM, n x n x n float32 (GFLOP/s, best of ${rounds} alternating rounds of >= 20 reps / 1.5 s each; plain cpu: 1 rep)`,
    ["n", `tfjs native (${hasBlas ? reg.info.blas : "no BLAS"})`, "tfjs native (own GEMM)", "own / BLAS", "tfjs cpu", "OpenBLAS from C", "native / C", "PyTorch", "native / PyTorch"],
    gemmSizes.map((n, i) => {
      const t = torch.find((r) => r.what === "gemm" && r.n === n)?.gflops as number | undefined
      const best = hasBlas ? native[i] : own[i]
      return [String(n), hasBlas ? fmt(native[i]) : "-", fmt(own[i]), hasBlas ? pct(own[i], native[i]) : "-", fmt(cpu[i], 2), fmt(c.get(n)), pct(best, c.get(n)), fmt(t), pct(best, t)]
    })
  )
}

if (only.has("train")) {
  const steps = num("steps", 5)
  const step = makeStep(NATIVE_BACKEND, small, batch)
  const nativeTimes = timeSteps(step, steps, 2)
  let profile: ReadonlyArray<KernelTiming> = []
  let profiledMs = 0
  if (flag("profile")) {
    const t0 = performance.now()
    profile = profileKernels(() => step.run()).kernels
    profiledMs = performance.now() - t0
  }
  step.dispose()
  let cpuMs: number | undefined
  if (flag("cpu-train")) {
    const cpuStep = makeStep("cpu", small, batch)
    cpuMs = median(timeSteps(cpuStep, 1, 0))
    cpuStep.dispose()
  }
  const torch = torchResults({ train: { ...small, batch, steps, warmup: 2 } }).find((r) => r.what === "train")
  const nativeMs = median(nativeTimes)
  const torchMs = torch?.ms as number | undefined
  const cfg = `image ${small.imageSize}/${small.patchSize}, vision ${small.visionWidth}x${small.visionLayers}, text ${small.textWidth}x${small.textLayers}, context ${small.contextLength}, embed ${small.embedDim}, batch ${batch}`
  table(
    `2. CLIP training step (forward + backward + Adam), ${cfg} (ms, median of ${steps})`,
    ["path", "ms / step", "vs PyTorch"],
    [
      ["tfjs native", fmt(nativeMs), torchMs ? `${fmt(nativeMs / torchMs, 2)}x` : "-"],
      ["tfjs cpu", cpuMs === undefined ? "(--cpu-train)" : fmt(cpuMs), torchMs && cpuMs ? `${fmt(cpuMs / torchMs, 2)}x` : "-"],
      ["PyTorch", fmt(torchMs), torchMs ? "1.00x" : "-"],
    ]
  )
  if (profile.length > 0) {
    const kernelMs = profile.reduce((a, k) => a + k.ms, 0)
    table(
      `   where the native step's time goes (one profiled step: ${fmt(profiledMs)} ms, ${fmt(kernelMs)} ms inside kernels)`,
      ["kernel", "calls", "ms", "share"],
      [
        ...profile.slice(0, 16).map((k) => [k.kernel, String(k.calls), fmt(k.ms), `${fmt((k.ms / profiledMs) * 100, 0)}%`]),
        ["(outside kernels: tape, JS ops)", "", fmt(profiledMs - kernelMs), `${fmt(((profiledMs - kernelMs) / profiledMs) * 100, 0)}%`],
      ]
    )
  }
}

if (only.has("vit")) {
  const n = num("vit-batch", 8)
  const reps = num("vit-reps", 3)
  const native = vitImagesPerSec(NATIVE_BACKEND, n, reps)
  const cpu = flag("cpu-vit") ? vitImagesPerSec("cpu", n, 1) : undefined
  const torch = torchResults({ vit: { batch: n, reps } }).find((r) => r.what === "vit")?.imagesPerSec as number | undefined
  table(
    `3. ViT-B/32 image encoder forward, batch ${n}, random weights (images/s, best of ${reps})`,
    ["path", "images / s", "time vs PyTorch"],
    [
      ["tfjs native", fmt(native, 2), torch ? `${fmt(torch / native, 2)}x` : "-"],
      ["tfjs cpu", cpu === undefined ? "(--cpu-vit)" : fmt(cpu, 3), torch && cpu ? `${fmt(torch / cpu, 2)}x` : "-"],
      ["PyTorch", fmt(torch, 2), torch ? "1.00x" : "-"],
    ]
  )
}
