/**
 * A toy pipeline of small stages (numbers, a sleep, a tensor set, a table),
 * so `clipcl run` has something to run without CLIP. Try:
 *
 *   node bin/clipcl.js run pipelines/example-toy.ts
 *   node bin/clipcl.js run pipelines/example-toy.ts          # all cached
 *   node bin/clipcl.js plan pipelines/example-toy.ts --set square.k=3
 *   node bin/clipcl.js dag pipelines/example-toy.ts --mermaid
 */
import { Effect, Schema } from "effect"
import { pipeline, stage, table, tensors, value } from "clipcl/dsl"

const numbers = stage({
  name: "numbers",
  version: 1,
  params: Schema.Struct({ n: Schema.Int.pipe(Schema.positive()) }),
  output: value<ReadonlyArray<number>>(),
  run: ({ params }) => Array.from({ length: params.n }, (_, i) => i + 1)
})

const square = stage({
  name: "square",
  version: 1,
  params: Schema.Struct({ k: Schema.Number }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<ReadonlyArray<number>>(),
  run: ({ params, inputs }) => inputs.xs.map((x) => params.k * x * x)
})

const nap = stage({
  name: "nap",
  version: 1,
  params: Schema.Struct({ ms: Schema.Int.pipe(Schema.nonNegative()), steps: Schema.optionalWith(Schema.Int, { default: () => 10 }) }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<number>(),
  run: ({ params, inputs, ctx }) =>
    Effect.gen(function* () {
      for (let i = 1; i <= params.steps; i++) {
        yield* Effect.sleep(params.ms / params.steps)
        ctx.progress(i, params.steps, { sum: inputs.xs.slice(0, i).reduce((a, b) => a + b, 0) })
      }
      ctx.log(`slept ${params.ms} ms`)
      return inputs.xs.reduce((a, b) => a + b, 0)
    })
})

const features = stage({
  name: "features",
  version: 1,
  params: Schema.Struct({ dim: Schema.Int.pipe(Schema.positive()) }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: tensors,
  run: ({ params, inputs, seed }) => {
    const n = inputs.xs.length
    const data = new Float32Array(n * params.dim)
    let s = seed + 1
    for (let i = 0; i < data.length; i++) {
      s = (s * 1103515245 + 12345) % 2147483648
      data[i] = inputs.xs[Math.floor(i / params.dim)]! * (s / 2147483648)
    }
    return { x: { dtype: "float32" as const, shape: [n, params.dim], data } }
  }
})

const summary = stage({
  name: "summary",
  version: 1,
  params: Schema.Struct({}),
  inputs: { x: tensors, total: value<number>() },
  output: table,
  run: ({ inputs }) => {
    const x = inputs.x["x"]!
    const [n, d] = x.shape as [number, number]
    const rows: Array<Array<number>> = []
    for (let i = 0; i < n; i++) {
      let norm = 0
      for (let j = 0; j < d; j++) norm += Number(x.data[i * d + j]) ** 2
      rows.push([i, Math.sqrt(norm), inputs.total])
    }
    return { columns: ["row", "norm", "total"], rows }
  }
})

export default pipeline("example-toy", (p) => {
  const xs = p.add(numbers, { params: { n: 8 } })
  const sq = p.add(square, { params: { k: 2 }, inputs: { xs } })
  const total = p.add(nap, { params: { ms: 300 }, inputs: { xs: sq } })
  p.sweep({ dim: [4, 16] }, ({ dim }) => {
    const x = p.add(features, { params: { dim }, inputs: { xs } })
    p.add(summary, { inputs: { x, total } })
  })
})
