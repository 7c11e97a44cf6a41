/**
 * The command line. Commands return an exit code or fail with tagged
 * errors; this module alone words errors and maps them to exit codes:
 * 0 ok, 1 a stage (or a cache operation) failed, 2 invalid pipeline or
 * arguments, 130 interrupted.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { Cause, Effect, Either, Exit } from "effect"
import { parseCommand, type Command } from "./args.js"
import { processIO, type CliIO } from "./io.js"

const USAGE_ERRORS = new Set([
  "UsageError",
  "InvalidPipeline",
  "PipelineLoadFailed",
  "BackendInitFailed",
  "UnknownTarget",
  "ImportFailed",
  "ExportFailed",
  "SpoolError",
  "SlurmSettingsInvalid",
  "SlurmRequestInvalid"
])

/**
 * The exit code for a failure's tag.
 *
 * @since 0.1.0
 * @category utils
 */
const exitCodeOf = (error: unknown): number => {
  const tag = (error as { _tag?: unknown } | null)?._tag
  return typeof tag === "string" && USAGE_ERRORS.has(tag) ? 2 : 1
}

/** A command's module, loaded when the command runs: start-up pays only for what it uses. */
const load = <M, A>(module: () => Promise<M>, command: (m: M) => Effect.Effect<A, unknown>): Effect.Effect<A, unknown> =>
  Effect.flatMap(Effect.promise(module), command)

const dispatch = (cmd: Command, io: CliIO): Effect.Effect<number, unknown> => {
  switch (cmd._tag) {
    case "run":
      return load(() => import("./commands/run.js"), (m) => m.runCommand(cmd, io))
    case "plan":
      return load(() => import("./commands/plan.js"), (m) => m.planCommand(cmd, io))
    case "why":
      return load(() => import("./commands/plan.js"), (m) => m.whyCommand(cmd, io))
    case "dag":
      return load(() => import("./commands/dag.js"), (m) => m.dagCommand(cmd, io))
    case "cache":
      return load(() => import("./commands/cache.js"), (m) => m.cacheCommand(cmd, io))
    case "logs":
      return load(() => import("./commands/logs.js"), (m) => m.logsCommand(cmd, io))
    case "results":
      return load(() => import("./commands/results.js"), (m) => m.resultsCommand(cmd, io))
    case "job":
      return load(() => import("./commands/job.js"), (m) => m.jobCommand(cmd, io))
    case "jobs":
      return load(() => import("./commands/jobs.js"), (m) => m.jobsCommand(cmd, io))
    case "help":
      return Effect.sync(() => {
        io.stdout(cmd.text + "\n")
        return 0
      })
    case "version":
      return Effect.sync(() => {
        const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
        io.stdout(`clipcl ${pkg.version}\n`)
        return 0
      })
  }
}

/**
 * Run the CLI on `argv` (without node and script); resolves to the exit code.
 *
 * @since 0.1.0
 * @category constructors
 */
export const main = async (argv: ReadonlyArray<string>, io: CliIO = processIO): Promise<number> => {
  const parsed = parseCommand(argv)
  if (Either.isLeft(parsed)) {
    io.stderr(`clipcl: ${parsed.left.message}\n`)
    return 2
  }
  const exit = await Effect.runPromiseExit(dispatch(parsed.right, io))
  if (Exit.isSuccess(exit)) return exit.value
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    const e = failure.value as { message?: string }
    io.stderr(`clipcl: ${e?.message ?? String(e)}\n`)
    return exitCodeOf(failure.value)
  }
  if (Cause.isInterruptedOnly(exit.cause)) return 130
  io.stderr(`clipcl: internal error\n${Cause.pretty(exit.cause)}\n`)
  return 1
}

const isEntry = process.argv[1] !== undefined && /(?:^|[\\/])(?:clipcl(?:\.js)?|main\.[jt]s)$/.test(process.argv[1])
if (isEntry) {
  const code = await main(process.argv.slice(2))
  process.exitCode = code
  // After an interrupt, stage code may still hold timers or sockets: leave once output is flushed.
  if (code === 130) process.stdout.write("", () => process.stderr.write("", () => process.exit(code)))
}
