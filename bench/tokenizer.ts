/**
 * Tokenizer benchmark: loading the merges, then tokenising 100,000 short
 * prompts (CIFAR-100 class names in ImageNet's 80 templates, from the shipped
 * prompts.json) with a cold and a warm piece cache, and 100,000 prompts that
 * each carry a fresh number (so the cache keeps missing on those pieces).
 *
 *     node --import tsx bench/tokenizer.ts
 */
import { readFileSync } from "node:fs"
import { loadTokenizer, tokenize } from "../src/clip/tokenizer.js"
import { clipAssetPath } from "../src/clip/internal/tokenizerAssets.js"

const time = <A>(label: string, f: () => A): A => {
  const start = performance.now()
  const out = f()
  console.log(`${label.padEnd(58)} ${(performance.now() - start).toFixed(0).padStart(6)} ms`)
  return out
}

const merges = clipAssetPath("bpe_simple_vocab_16e6.txt.gz")!
const prompts = JSON.parse(readFileSync(clipAssetPath("prompts.json")!, "utf8")) as Record<string, { classes: string[]; templates: string[] }>
const classes = prompts["CIFAR100"]?.classes ?? prompts[Object.keys(prompts)[0]!]!.classes
const templates = prompts["ImageNet"]?.templates ?? prompts[Object.keys(prompts)[0]!]!.templates
const N = 100_000
const short = Array.from({ length: N }, (_, i) => templates[i % templates.length]!.replace("{}", classes[Math.floor(i / templates.length) % classes.length]!))
const numbered = Array.from({ length: N }, (_, i) => `a photo of item ${i} number ${i * 7919}`)

console.log(`node ${process.version}; ${N} prompts, e.g. ${JSON.stringify(short[0])}`)
time("load merges (gunzip + parse + rank table)", () => loadTokenizer(merges))
time("first tokenize() call (loads the shared tokenizer)", () => tokenize(["a photo of a dog."]))
time(`tokenize ${N} short prompts (cold piece cache)`, () => tokenize(short))
time(`tokenize ${N} short prompts again (warm cache)`, () => tokenize(short))
time(`tokenize ${N} prompts with fresh numbers`, () => tokenize(numbered))
const long = "a very long caption that goes on and on ".repeat(50)
time("tokenize 10000 long captions (truncate)", () => tokenize(Array.from({ length: 10_000 }, (_, i) => long + i), { truncate: true }))
