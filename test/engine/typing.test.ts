// Typed wiring: connecting an output of the wrong kind/type to an input is a compile error.
// Type-checks test/fixtures/pipelines/wiring.typecheck.ts with the TypeScript compiler API:
// with its @ts-expect-error comments removed it must have errors on exactly the lines that
// followed such a comment (so those lines are errors, and every other line compiles).
// One program only: type-checking against effect's types is slow on a loaded machine.
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { test } from "node:test"
import ts from "typescript"

const file = resolve("test/fixtures/pipelines/wiring.typecheck.ts")

const check = (text: string): ReadonlyArray<ts.Diagnostic> => {
  const config = ts.getParsedCommandLineOfConfigFile(resolve("tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!
  const options = { ...config.options, noEmit: true }
  const host = ts.createCompilerHost(options)
  const original = host.getSourceFile.bind(host)
  host.getSourceFile = (name, lang, ...rest) =>
    resolve(name) === file ? ts.createSourceFile(name, text, lang) : original(name, lang, ...rest)
  const program = ts.createProgram([file], options, host)
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file && resolve(d.file.fileName) === file)
}

test("wrongly typed wiring does not compile, correct wiring does", { timeout: 110_000 }, () => {
  const lines = readFileSync(file, "utf8").split("\n")
  const marker = /^\s*\/\/ @ts-expect-error/
  // 0-based index of the line after each marker
  const expected = lines.flatMap((l, i) => (marker.test(l) ? [i + 1] : []))
  assert.ok(expected.length >= 7)
  const stripped = lines.map((l) => (marker.test(l) ? "//" : l)).join("\n")
  const errorLines = [...new Set(check(stripped).map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line))].sort((a, b) => a - b)
  assert.deepEqual(errorLines, expected)
})
