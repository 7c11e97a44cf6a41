/**
 * Command-line parsing: argv -> a typed command, or a usage error (exit 2).
 * Pure; uses `node:util` `parseArgs` (strict, so unknown flags are errors).
 * One table of commands and their options gives both the parser's options
 * and each command's `--help`, so they cannot drift apart; an unknown
 * command, subcommand or option names the nearest one.
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"
import { Data, Either } from "effect"
import { nearest } from "../scheduler/nearest.js"
import type { SlurmFlags } from "../scheduler/executors/slurm/settings.js"

/**
 * Bad command line (exit code 2).
 *
 * @since 0.1.0
 * @category errors
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

/**
 * Options shared by the commands that read the cache.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheOption {
  /** Cache file (default `cache/clipcl.sqlite`, or `$CLIPCL_CACHE`). */
  readonly cache: string
}

/**
 * @since 0.1.0
 * @category models
 */
export type Command =
  | ({ readonly _tag: "run"; readonly file: string; readonly jobs: number; readonly set: ReadonlyArray<string>; readonly force: ReadonlyArray<string>; readonly only: ReadonlyArray<string>; readonly failFast: boolean; readonly json: boolean; readonly noTui: boolean; readonly backend: string | undefined; readonly executor: "local" | "slurm"; readonly slurm: SlurmFlags } & CacheOption)
  | ({ readonly _tag: "plan"; readonly file: string; readonly set: ReadonlyArray<string>; readonly force: ReadonlyArray<string>; readonly only: ReadonlyArray<string>; readonly json: boolean; readonly jobs: number } & CacheOption)
  | ({ readonly _tag: "why"; readonly file: string; readonly stage: string; readonly set: ReadonlyArray<string>; readonly json: boolean } & CacheOption)
  | { readonly _tag: "dag"; readonly file: string; readonly set: ReadonlyArray<string>; readonly mermaid: boolean; readonly json: boolean }
  | ({ readonly _tag: "cache"; readonly action: CacheAction } & CacheOption)
  | ({ readonly _tag: "logs"; readonly stage: string; readonly pipeline: string | undefined; readonly json: boolean } & CacheOption)
  | ({ readonly _tag: "results"; readonly file: string; readonly json: boolean; readonly format: string | undefined; readonly plots: string | undefined } & CacheOption)
  | { readonly _tag: "job"; readonly action: "run"; readonly dir: string }
  | ({ readonly _tag: "jobs"; readonly all: boolean; readonly pipeline: string | undefined; readonly json: boolean } & CacheOption)
  | { readonly _tag: "help"; readonly topic: string | undefined; readonly text: string }
  | { readonly _tag: "version" }

/**
 * @since 0.1.0
 * @category models
 */
export type CacheAction =
  | { readonly _tag: "ls"; readonly json: boolean; readonly sort: "size" | "used" | "created" | undefined; readonly limit: number | undefined }
  | { readonly _tag: "stats"; readonly json: boolean }
  | { readonly _tag: "verify"; readonly json: boolean; readonly remove: boolean }
  | { readonly _tag: "gc"; readonly json: boolean; readonly maxBytes: number | undefined; readonly olderThanMs: number | undefined; readonly all: boolean; readonly dryRun: boolean }
  | { readonly _tag: "pin"; readonly target: string }
  | { readonly _tag: "unpin"; readonly target: string }
  | { readonly _tag: "export"; readonly file: string; readonly pipelines: ReadonlyArray<string> }
  | { readonly _tag: "import"; readonly file: string }

const UNITS: Readonly<Record<string, number>> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, k: 1e3, m: 1e6, g: 1e9, t: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4
}

/**
 * Parse a size such as `20GB`, `512MiB` or `1000` (bytes).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseSize = (text: string): Either.Either<number, UsageError> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = m ? UNITS[(m[2] || "b").toLowerCase()] : undefined
  if (!m || unit === undefined) return Either.left(new UsageError({ detail: `--max-size ${text}: expected a size such as 20GB or 512MiB` }))
  return Either.right(Math.floor(Number(m[1]) * unit))
}

const DURATIONS: Readonly<Record<string, number>> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }

/**
 * Parse a duration such as `30d`, `12h`, `15m`, `10s`, `500ms`.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseDuration = (text: string): Either.Either<number, UsageError> => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(text)
  if (!m) return Either.left(new UsageError({ detail: `--older-than ${text}: expected a duration such as 30d, 12h or 15m` }))
  return Either.right(Number(m[1]) * DURATIONS[m[2]!]!)
}

const defaultCache = (): string => process.env.CLIPCL_CACHE || "cache/clipcl.sqlite"

/**
 * One option of a command: its parser type and its line of help.
 *
 * @since 0.1.0
 * @category models
 */
export interface OptionSpec {
  readonly type: "string" | "boolean"
  readonly multiple?: boolean
  readonly short?: string
  /** The value's placeholder in help (`N`, `PATH`). */
  readonly arg?: string
  readonly help: string
}

/**
 * A command (or `cache` subcommand): synopsis, one-line summary, options.
 *
 * @since 0.1.0
 * @category models
 */
export interface CommandSpec {
  /** `run`, `cache ls`. */
  readonly name: string
  /** Positional arguments (`FILE`, `FILE STAGE`). */
  readonly args: string
  readonly summary: string
  readonly options: Readonly<Record<string, OptionSpec>>
  /** Lines after the options. */
  readonly notes?: ReadonlyArray<string>
}

const cacheOpt: Record<string, OptionSpec> = { cache: { type: "string", arg: "PATH", help: "cache file (default cache/clipcl.sqlite, or $CLIPCL_CACHE)" } }
const jsonOpt = (help: string): Record<string, OptionSpec> => ({ json: { type: "boolean", help } })
const setOpt: Record<string, OptionSpec> = {
  set: { type: "string", multiple: true, arg: "TARGET.param=value", help: "override a parameter (repeatable); value is JSON when it parses, else a string" }
}
const selectOpts: Record<string, OptionSpec> = {
  force: { type: "string", multiple: true, arg: "TARGET", help: "re-run these stages and what depends on them (repeatable)" },
  only: { type: "string", multiple: true, arg: "TARGET", help: "run only these stages and what they need (repeatable)" }
}
const TARGET_NOTE = [
  "TARGET: a stage kind (every instance of it), a name given in the pipeline (every sweep",
  "instance of it) or an exact instance name, quoted when it holds dots: \"'finetune[FT] session 1'.train.epochs=1\""
]

/**
 * Every command: what `--help` prints and what the parser accepts.
 *
 * @since 0.1.0
 * @category models
 */
export const COMMANDS: ReadonlyArray<CommandSpec> = [
  {
    name: "run",
    args: "FILE",
    summary: "run a pipeline: plan it against the cache, run what is not cached, show live progress",
    options: {
      jobs: { type: "string", short: "j", arg: "N", help: "stages run at once (default 1)" },
      ...setOpt,
      ...selectOpts,
      "fail-fast": { type: "boolean", help: "stop every running stage at the first failure" },
      ...jsonOpt("NDJSON events on stdout (docs/cli.md), no live view"),
      "no-tui": { type: "boolean", help: "plain lines even on a terminal" },
      backend: { type: "string", arg: "NAME", help: "compute backend (native, cpu, ...; default: the fastest available)" },
      executor: { type: "string", arg: "local|slurm", help: "where stages run: in this process (default) or one Slurm job each" },
      "slurm-config": { type: "string", arg: "FILE", help: "Slurm settings file (default: clipcl.slurm.json here, then ~/.config/clipcl/slurm.json)" },
      partition: { type: "string", arg: "P", help: "Slurm partition" },
      account: { type: "string", arg: "A", help: "Slurm account" },
      qos: { type: "string", arg: "Q", help: "Slurm QoS" },
      time: { type: "string", arg: "T", help: "default time limit of a job (Slurm's -t format)" },
      "sbatch-arg": { type: "string", multiple: true, arg: "ARG", help: "extra sbatch argument (repeatable)" },
      spool: { type: "string", arg: "DIR", help: "job spool directory, seen by every node" },
      "max-jobs": { type: "string", arg: "N", help: "Slurm jobs in flight at most" },
      "submit-rate": { type: "string", arg: "R", help: "submissions per second at most" },
      retries: { type: "string", arg: "N", help: "resubmissions of a lost, preempted or node-failed job" },
      ...cacheOpt
    },
    notes: [...TARGET_NOTE, "Slurm flags need --executor slurm (docs/slurm.md).", "exit codes: 0 ok, 1 a stage failed, 2 invalid pipeline or arguments, 130 interrupted"]
  },
  {
    name: "plan",
    args: "FILE",
    summary: "what would run, what is cached and why, with time estimates from earlier runs",
    options: {
      ...jsonOpt('one {"stage","key","action","reasons",...} object per line'),
      ...setOpt,
      ...selectOpts,
      jobs: { type: "string", short: "j", arg: "N", help: "estimate the wall time at N stages at once (default 1)" },
      ...cacheOpt
    },
    notes: TARGET_NOTE
  },
  {
    name: "why",
    args: "FILE STAGE",
    summary: "why one stage would run: its key pre-image against its last run",
    options: { ...jsonOpt("one JSON object"), ...setOpt, ...cacheOpt }
  },
  {
    name: "dag",
    args: "FILE",
    summary: "print the resolved DAG (needs no cache)",
    options: { mermaid: { type: "boolean", help: "Mermaid `graph TD` text" }, ...jsonOpt("one object per stage"), ...setOpt }
  },
  {
    name: "results",
    args: "FILE",
    summary: "tabulate the results of the pipeline as it is now",
    options: {
      format: { type: "string", arg: "text|markdown|csv|json", help: "table format (default text)" },
      ...jsonOpt("same as --format json"),
      plots: { type: "string", arg: "DIR", help: "also write plots (SVG and PNG) into DIR" },
      ...cacheOpt
    }
  },
  {
    name: "logs",
    args: "STAGE",
    summary: "status, error and log tail of the latest run of a stage",
    options: { pipeline: { type: "string", arg: "NAME", help: "only runs of this pipeline" }, ...jsonOpt("the run record as JSON"), ...cacheOpt }
  },
  {
    name: "jobs",
    args: "",
    summary: "cluster jobs in flight for a cache",
    options: { all: { type: "boolean", help: "also jobs taken in or ended" }, pipeline: { type: "string", arg: "NAME", help: "only this pipeline's jobs" }, ...jsonOpt("one object per job"), ...cacheOpt }
  },
  { name: "job", args: "run DIR", summary: "run one stage's job directory (what a cluster job executes)", options: {} },
  { name: "cache ls", args: "", summary: "list artifacts", options: { sort: { type: "string", arg: "size|used|created", help: "order" }, limit: { type: "string", arg: "N", help: "at most N" }, ...jsonOpt("one object per artifact"), ...cacheOpt } },
  { name: "cache stats", args: "", summary: "sizes and counts of the cache", options: { ...jsonOpt("one JSON object"), ...cacheOpt } },
  { name: "cache verify", args: "", summary: "re-hash every artifact and check SQLite (exit 1 on corruption)", options: { remove: { type: "boolean", help: "remove corrupt artifacts" }, ...jsonOpt("one JSON object"), ...cacheOpt } },
  {
    name: "cache gc",
    args: "",
    summary: "evict least recently used artifacts (pinned ones and those the last run of a pipeline uses are kept)",
    options: {
      "max-size": { type: "string", arg: "SIZE", help: "evict until the cache is at most SIZE (20GB, 512MiB)" },
      "older-than": { type: "string", arg: "AGE", help: "evict what was not used for AGE (30d, 12h)" },
      all: { type: "boolean", help: "pinned and last-used artifacts too; alone, it empties the cache (but what a running process uses)" },
      "dry-run": { type: "boolean", help: "say what would be evicted" },
      ...jsonOpt("one JSON object"),
      ...cacheOpt
    }
  },
  { name: "cache pin", args: "HASH|KEY", summary: "keep an artifact through gc", options: cacheOpt },
  { name: "cache unpin", args: "HASH|KEY", summary: "let gc evict an artifact again", options: cacheOpt },
  { name: "cache export", args: "FILE", summary: "write artifacts and run records to a file", options: { pipeline: { type: "string", multiple: true, arg: "NAME", help: "only what these pipelines use (repeatable)" }, ...cacheOpt } },
  { name: "cache import", args: "FILE", summary: "read an export into this cache", options: cacheOpt }
]

const specOf = (name: string): CommandSpec | undefined => COMMANDS.find((c) => c.name === name)
const CACHE_SUBS = COMMANDS.filter((c) => c.name.startsWith("cache ")).map((c) => c.name.slice(6))

const optionLines = (spec: CommandSpec): Array<string> => {
  const rows = [
    ...Object.entries(spec.options).map(([name, o]) => [`${o.short ? `-${o.short}, ` : ""}--${name}${o.arg ? ` ${o.arg}` : ""}`, o.help]),
    ["-h, --help", "this text"]
  ]
  const w = Math.max(...rows.map((r) => r[0]!.length))
  return rows.map(([a, h]) => `  ${a!.padEnd(w)}  ${h}`)
}

/**
 * The `--help` text of one command (`run`, `cache ls`), of `cache` (its
 * subcommands), or of the whole CLI (no topic).
 *
 * @since 0.1.0
 * @category utils
 */
const usageOf = (topic?: string): string => {
  if (topic === undefined || topic === "") return USAGE
  if (topic === "cache") {
    const w = Math.max(...CACHE_SUBS.map((s) => s.length + specOf(`cache ${s}`)!.args.length))
    return [
      "usage: clipcl cache <subcommand> [options]",
      "",
      ...CACHE_SUBS.map((s) => {
        const spec = specOf(`cache ${s}`)!
        return `  ${`${s} ${spec.args}`.padEnd(w + 1)}  ${spec.summary}`
      }),
      "",
      "clipcl cache SUBCOMMAND --help gives its options."
    ].join("\n")
  }
  const spec = specOf(topic)
  if (spec === undefined) return USAGE
  return [`usage: clipcl ${spec.name}${spec.args ? ` ${spec.args}` : ""} [options]`, "", spec.summary, "", "options:", ...optionLines(spec), ...(spec.notes ? ["", ...spec.notes] : [])].join("\n")
}

/**
 * The usage text of the whole CLI.
 *
 * @since 0.1.0
 * @category utils
 */
const USAGE = ((): string => {
  const top = COMMANDS.filter((c) => !c.name.startsWith("cache "))
  const rows = [...top.map((c) => [`${c.name} ${c.args}`, c.summary]), ["cache SUBCOMMAND", `cache maintenance: ${CACHE_SUBS.join(", ")}`]]
  const w = Math.max(...rows.map((r) => r[0]!.length))
  return [
    "usage: clipcl <command> [options]",
    "",
    ...rows.map(([a, b]) => `  ${a!.padEnd(w)}  ${b}`),
    "",
    "clipcl COMMAND --help (or clipcl help COMMAND) gives a command's options; clipcl --version its version.",
    "exit codes: 0 ok, 1 a stage failed, 2 invalid pipeline or arguments, 130 interrupted"
  ].join("\n")
})()

/**
 * The candidate nearest to `word`, when it is near enough to be a typo
 * (or `word` is a prefix of it).
 *
 * @since 0.1.0
 * @category utils
 */
export { nearest }

const HELP = new Set(["--help", "-h"])

/** `--help` / `-h` among the arguments (not after `--`). */
const wantsHelp = (args: ReadonlyArray<string>): boolean => {
  for (const a of args) {
    if (a === "--") return false
    if (HELP.has(a)) return true
  }
  return false
}

type Values = Record<string, string | boolean | Array<string> | undefined>

/** Parse one command's arguments with its spec; unknown options name the nearest one. */
const parseWith = (spec: CommandSpec, args: ReadonlyArray<string>): Either.Either<{ readonly values: Values; readonly positionals: Array<string> }, UsageError> => {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {}
  for (const [k, o] of Object.entries(spec.options)) options[k] = { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) }
  try {
    const r = parseArgs({ args: [...args], allowPositionals: true, strict: true, options })
    return Either.right({ values: r.values as Values, positionals: r.positionals })
  } catch (e) {
    const err = e as Error & { code?: string }
    const where = `clipcl ${spec.name}`
    if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const flag = /'(-[^']*)'/.exec(err.message)?.[1] ?? "?"
      const bare = flag.replace(/^-+/, "").split("=")[0]!
      const near = nearest(bare, Object.keys(spec.options))
      return Either.left(new UsageError({ detail: `${spec.name}: unknown option '${flag}'${near ? ` (did you mean '--${near}'?)` : ""}; \`${where} --help\` lists its options` }))
    }
    return Either.left(new UsageError({ detail: `${spec.name}: ${err.message.split("\n")[0]}; \`${where} --help\` lists its options` }))
  }
}

const str = (v: Values[string]): string | undefined => (typeof v === "string" ? v : undefined)
const strs = (v: Values[string]): ReadonlyArray<string> => (Array.isArray(v) ? v : [])
const bool = (v: Values[string]): boolean => v === true

const positiveInt = (flag: string, v: string | undefined, dflt: number): Either.Either<number, UsageError> => {
  if (v === undefined) return Either.right(dflt)
  const n = Number(v)
  return Number.isInteger(n) && n >= 1 ? Either.right(n) : Either.left(new UsageError({ detail: `${flag} ${v}: expected a positive integer` }))
}

const SLURM_FLAGS = ["slurm-config", "partition", "account", "qos", "time", "sbatch-arg", "spool", "max-jobs", "submit-rate", "retries"] as const

/** `--executor` and the Slurm flags, which mean something only with `--executor slurm`. */
const executorOf = (v: Values): Either.Either<{ readonly executor: "local" | "slurm"; readonly slurm: SlurmFlags }, UsageError> => {
  const executor = str(v["executor"]) ?? "local"
  if (executor !== "local" && executor !== "slurm") return Either.left(new UsageError({ detail: `--executor ${executor}: expected local or slurm` }))
  const given = SLURM_FLAGS.find((f) => (f === "sbatch-arg" ? strs(v[f]).length > 0 : v[f] !== undefined))
  if (executor === "local" && given !== undefined) return Either.left(new UsageError({ detail: `--${given} needs --executor slurm` }))
  return Either.right({
    executor,
    slurm: {
      config: str(v["slurm-config"]), partition: str(v["partition"]), account: str(v["account"]), qos: str(v["qos"]), time: str(v["time"]),
      sbatchArgs: strs(v["sbatch-arg"]), spool: str(v["spool"]), maxJobs: str(v["max-jobs"]), submitRate: str(v["submit-rate"]), retries: str(v["retries"])
    }
  })
}

/**
 * Parse argv (without `node` and the script).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseCommand = (argv: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  const [cmd, ...rest] = argv
  const fail = (detail: string) => Either.left(new UsageError({ detail }))
  const help = (topic: string | undefined): Either.Either<Command, UsageError> => Either.right({ _tag: "help", topic, text: usageOf(topic) })
  switch (cmd) {
    case undefined:
    case "help":
    case "--help":
    case "-h": {
      const topic = rest.length === 0 ? undefined : rest.slice(0, 2).join(" ")
      if (topic === undefined || specOf(topic) !== undefined || topic === "cache") return help(topic)
      if (specOf(rest[0]!) !== undefined || rest[0] === "cache") return help(rest[0])
      const near = nearest(rest[0]!, [...COMMANDS.map((c) => c.name.split(" ")[0]!), "cache"])
      return fail(`help: no command '${rest[0]}'${near ? ` (did you mean '${near}'?)` : ""}\n${USAGE}`)
    }
    case "--version":
    case "-v":
    case "version":
      return Either.right({ _tag: "version" })
    case "cache":
      return parseCache(rest)
  }
  const spec = specOf(cmd)
  if (spec === undefined) {
    const near = nearest(cmd, [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]!)), "help"])
    return fail(`unknown command '${cmd}'${near ? ` (did you mean '${near}'?)` : ""}\n${USAGE}`)
  }
  if (wantsHelp(rest)) return help(cmd)
  return Either.flatMap(parseWith(spec, rest), ({ values: v, positionals }) => {
    const cache = str(v["cache"]) ?? defaultCache()
    const one = (what: string): Either.Either<string, UsageError> =>
      positionals.length === 1 ? Either.right(positionals[0]!) : fail(`${cmd}: expected exactly one ${what} (got ${positionals.length}); \`clipcl ${cmd} --help\``)
    switch (cmd) {
      case "run": {
        const executor = executorOf(v)
        if (Either.isLeft(executor)) return Either.left(executor.left)
        const { executor: where, slurm } = executor.right
        return Either.all([one("pipeline FILE"), positiveInt("--jobs", str(v["jobs"]), 1)]).pipe(
          Either.map(([file, jobs]): Command => ({
            _tag: "run", file, jobs, set: strs(v["set"]), force: strs(v["force"]), only: strs(v["only"]),
            failFast: bool(v["fail-fast"]), json: bool(v["json"]), noTui: bool(v["no-tui"]), backend: str(v["backend"]), cache, executor: where, slurm
          }))
        )
      }
      case "plan":
        return Either.all([one("pipeline FILE"), positiveInt("--jobs", str(v["jobs"]), 1)]).pipe(
          Either.map(([file, jobs]): Command => ({ _tag: "plan", file, set: strs(v["set"]), force: strs(v["force"]), only: strs(v["only"]), json: bool(v["json"]), jobs, cache }))
        )
      case "why":
        if (positionals.length !== 2) return fail("why: expected FILE STAGE; `clipcl why --help`")
        return Either.right({ _tag: "why", file: positionals[0]!, stage: positionals[1]!, set: strs(v["set"]), json: bool(v["json"]), cache })
      case "dag":
        return Either.map(one("pipeline FILE"), (file): Command => ({ _tag: "dag", file, set: strs(v["set"]), mermaid: bool(v["mermaid"]), json: bool(v["json"]) }))
      case "results": {
        const format = str(v["format"])
        if (format !== undefined && !["text", "markdown", "csv", "json"].includes(format)) return fail(`--format ${format}: expected text, markdown, csv or json`)
        return Either.map(one("pipeline FILE"), (file): Command => ({ _tag: "results", file, json: bool(v["json"]), format, plots: str(v["plots"]), cache }))
      }
      case "logs":
        return Either.map(one("STAGE"), (stage): Command => ({ _tag: "logs", stage, pipeline: str(v["pipeline"]), json: bool(v["json"]), cache }))
      case "jobs":
        if (positionals.length !== 0) return fail("jobs: takes no positional arguments; `clipcl jobs --help`")
        return Either.right({ _tag: "jobs", all: bool(v["all"]), pipeline: str(v["pipeline"]), json: bool(v["json"]), cache })
      case "job":
        if (positionals[0] !== "run" || positionals.length !== 2) return fail("job: expected 'job run DIR' (what a cluster job runs)")
        return Either.right({ _tag: "job", action: "run", dir: positionals[1]! })
      default:
        return fail(`unknown command '${cmd}'\n${USAGE}`)
    }
  })
}

const parseCache = (argv: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  const [sub, ...rest] = argv
  const fail = (detail: string) => Either.left(new UsageError({ detail }))
  if (sub === undefined || HELP.has(sub)) return Either.right({ _tag: "help", topic: "cache", text: usageOf("cache") })
  const spec = specOf(`cache ${sub}`)
  if (spec === undefined) {
    const near = nearest(sub, CACHE_SUBS)
    return fail(`cache: unknown subcommand '${sub}'${near ? ` (did you mean '${near}'?)` : ""}\n${usageOf("cache")}`)
  }
  if (wantsHelp(rest)) return Either.right({ _tag: "help", topic: spec.name, text: usageOf(spec.name) })
  return Either.flatMap(parseWith(spec, rest), ({ values: v, positionals }): Either.Either<Command, UsageError> => {
    const cache = str(v["cache"]) ?? defaultCache()
    const json = bool(v["json"])
    const one = (): string | undefined => (positionals.length === 1 ? positionals[0] : undefined)
    if (spec.args === "" && positionals.length > 0) return fail(`cache ${sub}: unexpected argument '${positionals[0]}'; \`clipcl cache ${sub} --help\``)
    let action: CacheAction
    switch (sub) {
      case "ls": {
        const sort = str(v["sort"])
        if (sort !== undefined && sort !== "size" && sort !== "used" && sort !== "created") return fail(`--sort ${sort}: expected size, used or created`)
        const limit = str(v["limit"]) === undefined ? undefined : Number(v["limit"])
        if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) return fail(`--limit ${v["limit"]}: expected a positive integer`)
        action = { _tag: "ls", json, sort, limit }
        break
      }
      case "stats":
        action = { _tag: "stats", json }
        break
      case "verify":
        action = { _tag: "verify", json, remove: bool(v["remove"]) }
        break
      case "gc": {
        let maxBytes: number | undefined
        let olderThanMs: number | undefined
        const max = str(v["max-size"])
        const older = str(v["older-than"])
        if (max !== undefined) {
          const r = parseSize(max)
          if (Either.isLeft(r)) return Either.left(r.left)
          maxBytes = r.right
        }
        if (older !== undefined) {
          const r = parseDuration(older)
          if (Either.isLeft(r)) return Either.left(r.left)
          olderThanMs = r.right
        }
        action = { _tag: "gc", json, maxBytes, olderThanMs, all: bool(v["all"]), dryRun: bool(v["dry-run"]) }
        break
      }
      case "pin":
      case "unpin": {
        const target = one()
        if (target === undefined) return fail(`cache ${sub}: expected one HASH or KEY`)
        action = { _tag: sub, target }
        break
      }
      case "export": {
        const file = one()
        if (file === undefined) return fail("cache export: expected one FILE")
        action = { _tag: "export", file, pipelines: strs(v["pipeline"]) }
        break
      }
      case "import": {
        const file = one()
        if (file === undefined) return fail("cache import: expected one FILE")
        action = { _tag: "import", file }
        break
      }
      default:
        return fail(`cache: unknown subcommand '${sub}'`)
    }
    return Either.right({ _tag: "cache", action, cache })
  })
}
