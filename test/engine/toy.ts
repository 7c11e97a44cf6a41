// Toy stages for the engine tests: counters record how often each `run` body executed.
import { Effect, Schema } from "effect"
import { pipeline, stage, table, tensors, value, type Pipeline, type PipelineBuilder } from "../../src/dsl/index.js"

export const counts = new Map<string, number>()
export const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1)
export const resetCounts = () => counts.clear()

export const numbers = stage({
  name: "numbers",
  version: 1,
  params: Schema.Struct({ n: Schema.Number, start: Schema.optionalWith(Schema.Number, { default: () => 0 }) }),
  output: value<ReadonlyArray<number>>(),
  run: ({ params }) => {
    bump("numbers")
    return Array.from({ length: params.n }, (_, i) => params.start + i)
  }
})

export const square = stage({
  name: "square",
  version: 1,
  params: Schema.Struct({ k: Schema.Number }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<ReadonlyArray<number>>(),
  run: ({ params, inputs }) => {
    bump("square")
    return inputs.xs.map((x) => params.k * x * x)
  }
})

export const total = stage({
  name: "total",
  version: 1,
  params: Schema.Struct({}),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<number>(),
  run: ({ inputs }) => {
    bump("total")
    return inputs.xs.reduce((a, b) => a + b, 0)
  }
})

/** Output depends only on parity of n: used for early cutoff. */
export const parity = stage({
  name: "parity",
  version: 1,
  params: Schema.Struct({ n: Schema.Number }),
  output: value<string>(),
  run: ({ params }) => {
    bump("parity")
    return params.n % 2 === 0 ? "even" : "odd"
  }
})

export const shout = stage({
  name: "shout",
  version: 1,
  params: Schema.Struct({}),
  inputs: { s: value<string>() },
  output: value<string>(),
  run: ({ inputs }) => {
    bump("shout")
    return inputs.s.toUpperCase()
  }
})

export const sleep = stage({
  name: "sleep",
  version: 1,
  params: Schema.Struct({ ms: Schema.Number, tag: Schema.optionalWith(Schema.String, { default: () => "" }) }),
  output: value<number>(),
  resources: {},
  run: ({ params, ctx }) =>
    Effect.gen(function* () {
      bump("sleep")
      ctx.progress(0, 1)
      yield* Effect.sleep(params.ms)
      ctx.progress(1, 1)
      return params.ms
    })
})

export const boom = stage({
  name: "boom",
  version: 1,
  params: Schema.Struct({ fail: Schema.optionalWith(Schema.Boolean, { default: () => true }) }),
  output: value<number>(),
  run: async ({ params }) => {
    bump("boom")
    if (params.fail) throw new Error("boom went off")
    return 1
  }
})

export const embed = stage({
  name: "embed",
  version: 1,
  params: Schema.Struct({ dim: Schema.Int }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: tensors,
  run: ({ params, inputs }) => {
    bump("embed")
    const data = new Float32Array(inputs.xs.length * params.dim)
    inputs.xs.forEach((x, i) => { for (let j = 0; j < params.dim; j++) data[i * params.dim + j] = x + j / 10 })
    return { emb: { dtype: "float32" as const, shape: [inputs.xs.length, params.dim], data } }
  }
})

export const norms = stage({
  name: "norms",
  version: 1,
  params: Schema.Struct({}),
  inputs: { emb: tensors },
  output: table,
  run: ({ inputs }) => {
    bump("norms")
    const t = inputs.emb["emb"]!
    const [n, d] = t.shape as [number, number]
    const rows: Array<Array<unknown>> = []
    for (let i = 0; i < n; i++) {
      let s = 0
      for (let j = 0; j < d; j++) s += Number(t.data[i * d + j]) ** 2
      rows.push([i, Math.sqrt(s)])
    }
    return { columns: ["row", "norm"], rows }
  }
})

export const chain = (n = 4, k = 2): Pipeline =>
  pipeline("chain", (p: PipelineBuilder) => {
    const xs = p.add(numbers, { params: { n } })
    const sq = p.add(square, { params: { k }, inputs: { xs } })
    p.add(total, { inputs: { xs: sq } })
  })
