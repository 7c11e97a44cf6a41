/**
 * Command-line parsing: argv -> a typed command, or a usage error (exit 2).
 * Pure; uses `node:util` `parseArgs` (strict, so unknown flags are errors).
 *
 * @since 0.1.0
 */
import { parseArgs } from "node:util"
import { Data, Either } from "effect"
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
  | ({ readonly _tag: "plan"; readonly file: string; readonly set: ReadonlyArray<string>; readonly force: ReadonlyArray<string>; readonly only: ReadonlyArray<string>; readonly json: boolean } & CacheOption)
  | ({ readonly _tag: "why"; readonly file: string; readonly stage: string; readonly set: ReadonlyArray<string>; readonly json: boolean } & CacheOption)
  | { readonly _tag: "dag"; readonly file: string; readonly set: ReadonlyArray<string>; readonly mermaid: boolean; readonly json: boolean }
  | ({ readonly _tag: "cache"; readonly action: CacheAction } & CacheOption)
  | ({ readonly _tag: "logs"; readonly stage: string; readonly pipeline: string | undefined; readonly json: boolean } & CacheOption)
  | ({ readonly _tag: "results"; readonly file: string; readonly json: boolean; readonly format: string | undefined; readonly plots: string | undefined } & CacheOption)
  | { readonly _tag: "job"; readonly action: "run"; readonly dir: string }
  | ({ readonly _tag: "jobs"; readonly all: boolean; readonly pipeline: string | undefined; readonly json: boolean } & CacheOption)
  | { readonly _tag: "help"; readonly topic: string | undefined }
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

/**
 * The usage text.
 *
 * @since 0.1.0
 * @category utils
 */
export const USAGE = `usage: clipcl <command> [options]

  run FILE      run a pipeline   [--jobs N] [--set stage.param=value]... [--force STAGE]...
                                 [--only STAGE]... [--fail-fast] [--json] [--no-tui]
                                 [--cache PATH] [--backend NAME] [--executor local|slurm]
                slurm: [--slurm-config FILE] [--partition P] [--account A] [--qos Q] [--time T]
                       [--sbatch-arg ARG]... [--spool DIR] [--max-jobs N] [--submit-rate R] [--retries N]
  plan FILE     what would run and why   [--json] [--set ...] [--force S] [--only S]
  why FILE STAGE  why one stage would run (key pre-image diff)   [--json]
  dag FILE      print the DAG   [--mermaid] [--json]
  results FILE  tabulate the latest runs of a pipeline   [--format text|markdown|csv|json] [--json] [--plots DIR]
  logs STAGE    log tail of the latest run of a stage   [--pipeline NAME]
  jobs          cluster jobs in flight for a cache   [--all] [--pipeline NAME] [--json]
  job run DIR   run one stage's job directory (what a cluster job executes)
  cache ls [--sort size|used|created] [--limit N] | stats | verify [--remove]
        | gc [--max-size 20GB] [--older-than 30d] [--all] [--dry-run]
        | pin HASH|KEY | unpin HASH|KEY | export FILE [--pipeline NAME]... | import FILE

  --cache PATH  cache file (default cache/clipcl.sqlite, or $CLIPCL_CACHE)
exit codes: 0 ok, 1 a stage failed, 2 invalid pipeline or arguments, 130 interrupted`

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

const common = {
  cache: { type: "string" },
  json: { type: "boolean", default: false },
  set: { type: "string", multiple: true, default: [] as Array<string> },
  force: { type: "string", multiple: true, default: [] as Array<string> },
  only: { type: "string", multiple: true, default: [] as Array<string> }
} as const

/**
 * Parse argv (without `node` and the script).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parseCommand = (argv: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  const [cmd, ...rest] = argv
  const fail = (detail: string) => Either.left(new UsageError({ detail }))
  try {
    switch (cmd) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        return Either.right({ _tag: "help", topic: rest[0] })
      case "--version":
      case "version":
        return Either.right({ _tag: "version" })
      case "run": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            ...common, jobs: { type: "string", short: "j" }, "fail-fast": { type: "boolean", default: false }, "no-tui": { type: "boolean", default: false }, backend: { type: "string" },
            executor: { type: "string" }, "slurm-config": { type: "string" }, partition: { type: "string" }, account: { type: "string" }, qos: { type: "string" }, time: { type: "string" },
            "sbatch-arg": { type: "string", multiple: true, default: [] as Array<string> }, spool: { type: "string" }, "max-jobs": { type: "string" }, "submit-rate": { type: "string" }, retries: { type: "string" }
          }
        })
        const executor = values.executor ?? "local"
        if (executor !== "local" && executor !== "slurm") return fail(`--executor ${executor}: expected local or slurm`)
        const slurm: SlurmFlags = {
          config: values["slurm-config"], partition: values.partition, account: values.account, qos: values.qos, time: values.time, sbatchArgs: values["sbatch-arg"],
          spool: values.spool, maxJobs: values["max-jobs"], submitRate: values["submit-rate"], retries: values.retries
        }
        if (executor === "local") {
          const given = Object.entries(slurm).filter(([k, v]) => (k === "sbatchArgs" ? (v as Array<string>).length > 0 : v !== undefined))
          if (given.length > 0) return fail(`--${given[0]![0].replace(/[A-Z]/g, (c) => "-" + c.toLowerCase()).replace("config", "slurm-config").replace("sbatch-args", "sbatch-arg")} needs --executor slurm`)
        }
        if (positionals.length !== 1) return fail("run: expected exactly one pipeline FILE")
        const jobs = values.jobs === undefined ? 1 : Number(values.jobs)
        if (!Number.isInteger(jobs) || jobs < 1) return fail(`--jobs ${values.jobs}: expected a positive integer`)
        return Either.right({
          _tag: "run", file: positionals[0]!, jobs, set: values.set, force: values.force, only: values.only,
          failFast: values["fail-fast"], json: values.json, noTui: values["no-tui"], backend: values.backend, executor, slurm, cache: values.cache ?? defaultCache()
        })
      }
      case "plan": {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: common })
        if (positionals.length !== 1) return fail("plan: expected exactly one pipeline FILE")
        return Either.right({ _tag: "plan", file: positionals[0]!, set: values.set, force: values.force, only: values.only, json: values.json, cache: values.cache ?? defaultCache() })
      }
      case "why": {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { cache: common.cache, json: common.json, set: common.set } })
        if (positionals.length !== 2) return fail("why: expected FILE STAGE")
        return Either.right({ _tag: "why", file: positionals[0]!, stage: positionals[1]!, set: values.set, json: values.json, cache: values.cache ?? defaultCache() })
      }
      case "dag": {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { mermaid: { type: "boolean", default: false }, json: common.json, set: common.set } })
        if (positionals.length !== 1) return fail("dag: expected exactly one pipeline FILE")
        return Either.right({ _tag: "dag", file: positionals[0]!, set: values.set, mermaid: values.mermaid, json: values.json })
      }
      case "results": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { cache: common.cache, json: common.json, format: { type: "string" }, plots: { type: "string" } }
        })
        if (positionals.length !== 1) return fail("results: expected exactly one pipeline FILE")
        if (values.format !== undefined && !["text", "markdown", "csv", "json"].includes(values.format)) {
          return fail(`--format ${values.format}: expected text, markdown, csv or json`)
        }
        return Either.right({
          _tag: "results", file: positionals[0]!, json: values.json, format: values.format, plots: values.plots, cache: values.cache ?? defaultCache()
        })
      }
      case "logs": {
        const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { cache: common.cache, json: common.json, pipeline: { type: "string" } } })
        if (positionals.length !== 1) return fail("logs: expected exactly one STAGE")
        return Either.right({ _tag: "logs", stage: positionals[0]!, pipeline: values.pipeline, json: values.json, cache: values.cache ?? defaultCache() })
      }
      case "job": {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} })
        if (positionals[0] !== "run" || positionals.length !== 2) return fail("job: expected 'job run DIR' (what a cluster job runs)")
        return Either.right({ _tag: "job", action: "run", dir: positionals[1]! })
      }
      case "jobs": {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { cache: common.cache, json: common.json, all: { type: "boolean", default: false }, pipeline: { type: "string" } }
        })
        if (positionals.length !== 0) return fail("jobs: takes no positional arguments")
        return Either.right({ _tag: "jobs", all: values.all, pipeline: values.pipeline, json: values.json, cache: values.cache ?? defaultCache() })
      }
      case "cache":
        return parseCache(rest)
      default:
        return fail(`unknown command '${cmd}'\n${USAGE}`)
    }
  } catch (e) {
    return fail(`${cmd}: ${(e as Error).message}`)
  }
}

const parseCache = (argv: ReadonlyArray<string>): Either.Either<Command, UsageError> => {
  const [sub, ...rest] = argv
  const fail = (detail: string) => Either.left(new UsageError({ detail }))
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      cache: { type: "string" },
      json: { type: "boolean", default: false },
      sort: { type: "string" },
      limit: { type: "string" },
      remove: { type: "boolean", default: false },
      "max-size": { type: "string" },
      "older-than": { type: "string" },
      all: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      pipeline: { type: "string", multiple: true, default: [] as Array<string> }
    }
  })
  const cache = values.cache ?? defaultCache()
  const one = (what: string): string | undefined => (positionals.length === 1 ? positionals[0] : undefined)
  let action: CacheAction
  switch (sub) {
    case "ls": {
      const sort = values.sort
      if (sort !== undefined && sort !== "size" && sort !== "used" && sort !== "created") return fail(`--sort ${sort}: expected size, used or created`)
      const limit = values.limit === undefined ? undefined : Number(values.limit)
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) return fail(`--limit ${values.limit}: expected a positive integer`)
      action = { _tag: "ls", json: values.json, sort, limit }
      break
    }
    case "stats":
      action = { _tag: "stats", json: values.json }
      break
    case "verify":
      action = { _tag: "verify", json: values.json, remove: values.remove }
      break
    case "gc": {
      let maxBytes: number | undefined
      let olderThanMs: number | undefined
      if (values["max-size"] !== undefined) {
        const r = parseSize(values["max-size"])
        if (Either.isLeft(r)) return Either.left(r.left)
        maxBytes = r.right
      }
      if (values["older-than"] !== undefined) {
        const r = parseDuration(values["older-than"])
        if (Either.isLeft(r)) return Either.left(r.left)
        olderThanMs = r.right
      }
      action = { _tag: "gc", json: values.json, maxBytes, olderThanMs, all: values.all, dryRun: values["dry-run"] }
      break
    }
    case "pin":
    case "unpin": {
      const target = one("target")
      if (target === undefined) return fail(`cache ${sub}: expected one HASH or KEY`)
      action = { _tag: sub, target }
      break
    }
    case "export": {
      const file = one("file")
      if (file === undefined) return fail("cache export: expected one FILE")
      action = { _tag: "export", file, pipelines: values.pipeline }
      break
    }
    case "import": {
      const file = one("file")
      if (file === undefined) return fail("cache import: expected one FILE")
      action = { _tag: "import", file }
      break
    }
    default:
      return fail(`cache: unknown subcommand '${sub ?? ""}' (ls, stats, verify, gc, pin, unpin, export, import)`)
  }
  return Either.right({ _tag: "cache", action, cache })
}
