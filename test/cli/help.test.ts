// Every command and subcommand answers --help with its own usage; unknown commands, subcommands
// and options name the nearest one. In-process, pure parsing (no pipeline is loaded).
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { Either } from "effect"
import { COMMANDS, nearest, parseCommand } from "../../src/cli/args.js"
import { cli } from "../engine/helpers.js"

describe("--help", () => {
  it("every command and cache subcommand prints its own usage with each of its options, exit 0", async () => {
    for (const spec of COMMANDS) {
      for (const argv of [[...spec.name.split(" "), "--help"], [...spec.name.split(" "), "-h"], ["help", ...spec.name.split(" ")]]) {
        const r = await cli(...argv)
        assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`)
        assert.ok(r.out.startsWith(`usage: clipcl ${spec.name}${spec.args ? ` ${spec.args}` : ""} [options]\n`), `${argv.join(" ")}:\n${r.out}`)
        for (const o of Object.keys(spec.options)) assert.match(r.out, new RegExp(`\\n  (-\\w, )?--${o}\\b`), `${spec.name} --help lacks --${o}`)
      }
    }
  })

  it("the cases people type: run --help, cache ls --help, help after other arguments, cache --help", async () => {
    const run = await cli("run", "--help")
    assert.equal(run.code, 0)
    assert.match(run.out, /^usage: clipcl run FILE \[options\]\n/)
    assert.match(run.out, /\n  -j, --jobs N +stages run at once/)
    assert.doesNotMatch(run.out, /--max-size/)
    const ls = await cli("cache", "ls", "--help")
    assert.equal(ls.code, 0)
    assert.match(ls.out, /^usage: clipcl cache ls \[options\]\n/)
    assert.match(ls.out, /--sort size\|used\|created/)
    assert.doesNotMatch(ls.out, /--jobs/)
    // --help wins over everything else on the line, even a bad option.
    assert.match((await cli("plan", "pipelines/quickstart.ts", "--bogus", "--help")).out, /^usage: clipcl plan FILE/)
    const c = await cli("cache", "--help")
    assert.match(c.out, /^usage: clipcl cache <subcommand>/)
    for (const sub of ["ls", "stats", "verify", "gc", "pin", "unpin", "export", "import"]) assert.match(c.out, new RegExp(`\\n  ${sub}\\b`))
    const top = await cli("--help")
    assert.equal(top.code, 0)
    for (const cmd of ["run", "plan", "why", "dag", "results", "logs", "cache"]) assert.match(top.out, new RegExp(`\\n  ${cmd} `))
    assert.equal((await cli()).code, 0)
    // After `--`, --help is an argument, not a request for help.
    assert.equal(Either.getOrThrow(parseCommand(["logs", "--", "--help"]))._tag, "logs")
  })
})

describe("typos", () => {
  it("an unknown option names the nearest option of that command, exit 2", async () => {
    const r = await cli("run", "x.ts", "--jbos", "2")
    assert.equal(r.code, 2)
    assert.match(r.err, /run: unknown option '--jbos' \(did you mean '--jobs'\?\); `clipcl run --help` lists its options/)
    assert.match((await cli("plan", "x.ts", "--forse", "a")).err, /did you mean '--force'\?/)
    assert.match((await cli("cache", "gc", "--max-sise", "1GB")).err, /cache gc: unknown option '--max-sise' \(did you mean '--max-size'\?\)/)
    assert.match((await cli("run", "x.ts", "--no-tiu")).err, /did you mean '--no-tui'\?/)
    // An option of another command is unknown here, without a far-fetched suggestion.
    const other = await cli("cache", "ls", "--remove")
    assert.equal(other.code, 2)
    assert.match(other.err, /cache ls: unknown option '--remove'; /)
  })

  it("an unknown command or subcommand names the nearest one", async () => {
    const r = await cli("rn", "x.ts")
    assert.equal(r.code, 2)
    assert.match(r.err, /unknown command 'rn' \(did you mean 'run'\?\)\nusage: clipcl <command>/)
    assert.match((await cli("cache", "lss")).err, /cache: unknown subcommand 'lss' \(did you mean 'ls'\?\)/)
    assert.match((await cli("help", "pln")).err, /help: no command 'pln' \(did you mean 'plan'\?\)/)
    assert.match((await cli("frobnicate")).err, /unknown command 'frobnicate'\n/)
  })

  it("nearest: typos and prefixes, nothing for unrelated words", () => {
    assert.equal(nearest("jbos", ["jobs", "json"]), "jobs")
    assert.equal(nearest("fail", ["fail-fast", "force"]), "fail-fast")
    assert.equal(nearest("zzzzzz", ["jobs", "json"]), undefined)
  })
})
