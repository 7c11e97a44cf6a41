// A pipeline of value stages that read their inputs, for runs beside a concurrent `cache gc`:
// `seed` makes each run's outputs new; each stage waits a little so gc runs in between.
import { Schema } from "effect"
import { pipeline, stage, value } from "../../../src/dsl/index.js"

const pause = () => new Promise((r) => setTimeout(r, 15))

const source = stage({
  name: "source",
  version: 1,
  params: Schema.Struct({ seed: Schema.Number, n: Schema.Number }),
  output: value<ReadonlyArray<number>>(),
  run: async ({ params }) => {
    await pause()
    return Array.from({ length: params.n }, (_, i) => (i * 7919 + params.seed) % 100_003)
  }
})

const step = stage({
  name: "step",
  version: 1,
  params: Schema.Struct({ k: Schema.Number }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<ReadonlyArray<number>>(),
  run: async ({ params, inputs }) => {
    await pause()
    return inputs.xs.map((x) => (x * params.k + 1) % 100_003)
  }
})

const report = stage({
  name: "report",
  version: 1,
  params: Schema.Struct({}),
  inputs: { a: value<ReadonlyArray<number>>(), b: value<ReadonlyArray<number>>(), c: value<ReadonlyArray<number>>() },
  output: value<number>(),
  run: ({ inputs }) => [...inputs.a, ...inputs.b, ...inputs.c].reduce((s, x) => (s + x) % 1_000_003, 0)
})

export default pipeline("cache-chain", (p) => {
  const xs = p.add(source, { params: { seed: Number(process.env.CLIPCL_TEST_SEED ?? 1), n: 20_000 } })
  let a = xs
  for (let k = 2; k < 8; k++) a = p.add(step, { name: `a${k}`, params: { k }, inputs: { xs: a } })
  const b = p.add(step, { name: "b", params: { k: 11 }, inputs: { xs } })
  const c = p.add(step, { name: "c", params: { k: 13 }, inputs: { xs: b } })
  p.add(report, { inputs: { a, b, c } })
})
