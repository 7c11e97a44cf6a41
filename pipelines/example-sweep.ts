/**
 * A large toy ablation for the engine benchmark: `alpha` (99 values) ×
 * `vocab` (100 values). Each setting runs `score`; its `prep` prefix depends
 * on `vocab` only, so the 9,900 declarations of `prep` merge into 100
 * instances: 10,000 stage instances in all.
 *
 *   node bin/clipcl.js plan pipelines/example-sweep.ts --json | wc -l    # 10000
 *
 * SWEEP_ALPHAS / SWEEP_VOCABS shrink it (defaults 99 and 100).
 */
import { Schema } from "effect"
import { pipeline, stage, value } from "clipcl/dsl"

const prep = stage({
  name: "prep",
  version: 1,
  params: Schema.Struct({ vocab: Schema.Int }),
  output: value<ReadonlyArray<number>>(),
  run: ({ params }) => [params.vocab, params.vocab * 2, params.vocab * 3]
})

const score = stage({
  name: "score",
  version: 1,
  params: Schema.Struct({ alpha: Schema.Number }),
  inputs: { xs: value<ReadonlyArray<number>>() },
  output: value<number>(),
  run: ({ params, inputs }) => inputs.xs.reduce((a, x) => a + params.alpha * x, 0)
})

const range = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i))
const alphas = range(Number(process.env.SWEEP_ALPHAS ?? 99), (i) => i / 100)
const vocabs = range(Number(process.env.SWEEP_VOCABS ?? 100), (i) => 10 * (i + 1))

export default pipeline("example-sweep", (p) => {
  p.sweep({ alpha: alphas, vocab: vocabs }, ({ alpha, vocab }) => {
    const xs = p.add(prep, { params: { vocab } })
    p.add(score, { params: { alpha }, inputs: { xs } })
  })
})
