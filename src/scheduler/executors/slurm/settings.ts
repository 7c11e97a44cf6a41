/**
 * Slurm settings: they live outside pipeline files, in `clipcl.slurm.json`
 * in the project directory or `~/.config/clipcl/slurm.json` (or the file
 * `--slurm-config` names), and flags override them. Also the mapping from a
 * stage to its Slurm request (`-c`, `--mem`, `--gres`, `-t`).
 *
 * A request is, lowest precedence first: the built-in default of the
 * stage's kind, the stage's own `resources` (`cpus`, `memMB`, `gpus`,
 * `minutes`; `accelerator` counts as GPUs), the settings' `defaults`, the
 * settings' `kinds[KIND]`; `--time` overrides every time limit.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync } from "node:fs"
import { homedir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { Data, Either, ParseResult, Schema } from "effect"
import type { Node } from "../../resolve.js"

/**
 * Bad settings file or flag (exit 2, nothing submitted).
 *
 * @since 0.1.0
 * @category errors
 */
export class SlurmSettingsInvalid extends Data.TaggedError("SlurmSettingsInvalid")<{ readonly source: string; readonly detail: string }> {
  override get message(): string {
    return `${this.source}: ${this.detail}`
  }
}

const Request = Schema.Struct({
  cpus: Schema.optional(Schema.Int.pipe(Schema.positive())),
  mem: Schema.optional(Schema.String),
  gpus: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  time: Schema.optional(Schema.String)
})

/**
 * The settings file's shape.
 *
 * @since 0.1.0
 * @category models
 */
export const SettingsFile = Schema.Struct({
  partition: Schema.optional(Schema.String),
  account: Schema.optional(Schema.String),
  qos: Schema.optional(Schema.String),
  /** Default time limit of every job (Slurm's time format). */
  time: Schema.optional(Schema.String),
  /** Extra `sbatch` arguments, as separate words. */
  sbatchArgs: Schema.optional(Schema.Array(Schema.String)),
  /** A directory every node sees (default: `spool` beside the cache file). */
  spool: Schema.optional(Schema.String),
  maxJobs: Schema.optional(Schema.Int.pipe(Schema.positive())),
  /** Submissions per second at most. */
  submitRate: Schema.optional(Schema.Number.pipe(Schema.positive())),
  /** Retries of a job lost to node failure, preemption or cancellation. */
  retries: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  /** Generic resource name GPUs are requested as (`--gres=NAME:N`); without it no GPUs are requested. */
  gres: Schema.optional(Schema.String),
  defaults: Schema.optional(Request),
  kinds: Schema.optional(Schema.Record({ key: Schema.String, value: Request })),
  pollSeconds: Schema.optional(Schema.Number.pipe(Schema.positive())),
  maxPollSeconds: Schema.optional(Schema.Number.pipe(Schema.positive())),
  /** How long a job may be out of the queue without a completion marker before it is lost. */
  lostGraceSeconds: Schema.optional(Schema.Number.pipe(Schema.nonNegative()))
})

/**
 * @since 0.1.0
 * @category models
 */
export type SlurmRequest = { readonly cpus: number; readonly memMB: number; readonly gpus: number; readonly minutes: number }

/**
 * Resolved settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface SlurmSettings {
  readonly source: string
  readonly partition: string | undefined
  readonly account: string | undefined
  readonly qos: string | undefined
  readonly time: string | undefined
  readonly sbatchArgs: ReadonlyArray<string>
  readonly spool: string
  readonly maxJobs: number
  readonly submitRate: number
  readonly retries: number
  readonly gres: string | undefined
  readonly defaults: typeof Request.Type
  readonly kinds: Readonly<Record<string, typeof Request.Type>>
  readonly pollMs: number
  readonly maxPollMs: number
  readonly lostGraceMs: number
}

/**
 * The flags of `clipcl run` that override settings (raw strings).
 *
 * @since 0.1.0
 * @category models
 */
export interface SlurmFlags {
  readonly config?: string | undefined
  readonly partition?: string | undefined
  readonly account?: string | undefined
  readonly qos?: string | undefined
  readonly time?: string | undefined
  readonly sbatchArgs?: ReadonlyArray<string>
  readonly spool?: string | undefined
  readonly maxJobs?: string | undefined
  readonly submitRate?: string | undefined
  readonly retries?: string | undefined
}

/** Built-in requests per stage kind: evaluation needs less than fine-tuning. */
const KIND_DEFAULTS: Readonly<Record<string, SlurmRequest>> = {
  pretrain: { cpus: 4, memMB: 16384, gpus: 1, minutes: 12 * 60 },
  finetune: { cpus: 4, memMB: 16384, gpus: 1, minutes: 12 * 60 },
  finetuneWithVocabulary: { cpus: 4, memMB: 16384, gpus: 1, minutes: 12 * 60 },
  finetuneWithTeacher: { cpus: 4, memMB: 16384, gpus: 1, minutes: 12 * 60 },
  // One teacher forward over a session's images: an evaluation's cost.
  distill: { cpus: 2, memMB: 8192, gpus: 1, minutes: 60 },
  evaluate: { cpus: 2, memMB: 8192, gpus: 1, minutes: 2 * 60 },
  embedVocabulary: { cpus: 2, memMB: 8192, gpus: 1, minutes: 60 },
  interpolate: { cpus: 1, memMB: 8192, gpus: 0, minutes: 30 }
}
const OTHER: SlurmRequest = { cpus: 1, memMB: 2048, gpus: 0, minutes: 60 }

/**
 * Parse Slurm's time format (`MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`,
 * `D-HH:MM:SS`, or UNLIMITED/INFINITE) into minutes (rounded up).
 *
 * @since 0.1.0
 * @category utils
 */
export const parseSlurmTime = (text: string): number | undefined => {
  const t = text.trim()
  if (/^(UNLIMITED|INFINITE)$/i.test(t)) return Number.POSITIVE_INFINITY
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t)
  if (!m) return undefined
  const [, d, a, b, c] = m
  let secs: number
  if (d !== undefined) secs = Number(d) * 86400 + Number(a) * 3600 + Number(b ?? 0) * 60 + Number(c ?? 0)
  else if (c !== undefined) secs = Number(a) * 3600 + Number(b) * 60 + Number(c)
  else if (b !== undefined) secs = Number(a) * 60 + Number(b)
  else secs = Number(a) * 60
  return Math.max(1, Math.ceil(secs / 60))
}

/**
 * Minutes back to Slurm's `D-HH:MM:00`.
 *
 * @since 0.1.0
 * @category utils
 */
export const formatSlurmTime = (minutes: number): string => {
  const d = Math.floor(minutes / 1440)
  const h = Math.floor((minutes % 1440) / 60)
  const m = minutes % 60
  return `${d}-${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00`
}

/**
 * Parse a memory size (`16G`, `512M`, `2048` = MB) into MB.
 *
 * @since 0.1.0
 * @category utils
 */
export const parseMem = (text: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)B?\s*$/i.exec(text)
  if (!m) return undefined
  const f = { "": 1, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G" | "T"]
  return Math.max(1, Math.ceil(Number(m[1]) * f))
}

/** The settings file to read: the named one, else the project's, else the user's. */
const findFile = (named: string | undefined, cwd: string): string | undefined => {
  if (named !== undefined) return resolve(cwd, named)
  const project = join(cwd, "clipcl.slurm.json")
  if (existsSync(project)) return project
  const user = join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "clipcl", "slurm.json")
  return existsSync(user) ? user : undefined
}

const positive = (flag: string, v: string | undefined, integer: boolean): Either.Either<number | undefined, SlurmSettingsInvalid> => {
  if (v === undefined) return Either.right(undefined)
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    return Either.left(new SlurmSettingsInvalid({ source: flag, detail: `expected a positive ${integer ? "integer" : "number"}, got '${v}'` }))
  }
  return Either.right(n)
}

/**
 * Read the settings file (if any) and apply the flags.
 *
 * @since 0.1.0
 * @category constructors
 */
export const loadSlurmSettings = (flags: SlurmFlags, cachePath: string, cwd: string = process.cwd()): Either.Either<SlurmSettings, SlurmSettingsInvalid> => {
  const file = findFile(flags.config, cwd)
  let raw: typeof SettingsFile.Type = {}
  if (file !== undefined) {
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, "utf8"))
    } catch (e) {
      return Either.left(new SlurmSettingsInvalid({ source: file, detail: `cannot be read as JSON: ${(e as Error).message}` }))
    }
    const decoded = Schema.decodeUnknownEither(SettingsFile)(json, { errors: "all", onExcessProperty: "error" })
    if (Either.isLeft(decoded)) {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      return Either.left(new SlurmSettingsInvalid({ source: file, detail: issues.map((i) => `${i.path.length ? i.path.join(".") : "(settings)"}: ${i.message}`).join("; ") }))
    }
    raw = decoded.right
  }
  const src = file ?? "slurm settings"
  for (const [where, r] of [["defaults", raw.defaults], ...Object.entries(raw.kinds ?? {}).map(([k, v]) => [`kinds.${k}`, v] as const)] as const) {
    if (r?.mem !== undefined && parseMem(r.mem) === undefined) return Either.left(new SlurmSettingsInvalid({ source: src, detail: `${where}.mem '${r.mem}': expected a size such as 16G or 512M` }))
    if (r?.time !== undefined && parseSlurmTime(r.time) === undefined) return Either.left(new SlurmSettingsInvalid({ source: src, detail: `${where}.time '${r.time}': expected a Slurm time such as 2:00:00 or 1-00:00:00` }))
  }
  const time = flags.time ?? raw.time
  if (time !== undefined && parseSlurmTime(time) === undefined) {
    return Either.left(new SlurmSettingsInvalid({ source: flags.time !== undefined ? "--time" : src, detail: `'${time}': expected a Slurm time such as 2:00:00 or 1-00:00:00` }))
  }
  const maxJobs = positive("--max-jobs", flags.maxJobs, true)
  const submitRate = positive("--submit-rate", flags.submitRate, false)
  const retries = flags.retries === undefined ? Either.right(undefined) : /^\d+$/.test(flags.retries) ? Either.right(Number(flags.retries)) : Either.left(new SlurmSettingsInvalid({ source: "--retries", detail: `expected a non-negative integer, got '${flags.retries}'` }))
  for (const e of [maxJobs, submitRate, retries]) if (Either.isLeft(e)) return Either.left(e.left)
  const base = file !== undefined && flags.spool === undefined && raw.spool !== undefined ? dirname(file) : cwd
  const spoolText = flags.spool ?? raw.spool
  return Either.right({
    source: src,
    partition: flags.partition ?? raw.partition,
    account: flags.account ?? raw.account,
    qos: flags.qos ?? raw.qos,
    time,
    sbatchArgs: [...(raw.sbatchArgs ?? []), ...(flags.sbatchArgs ?? [])],
    spool: spoolText !== undefined ? resolve(base, spoolText) : join(dirname(resolve(cwd, cachePath)), "spool"),
    maxJobs: (Either.getOrUndefined(maxJobs) as number | undefined) ?? raw.maxJobs ?? 100,
    submitRate: (Either.getOrUndefined(submitRate) as number | undefined) ?? raw.submitRate ?? 5,
    retries: (Either.getOrUndefined(retries) as number | undefined) ?? raw.retries ?? 2,
    gres: raw.gres,
    defaults: raw.defaults ?? {},
    kinds: raw.kinds ?? {},
    pollMs: (raw.pollSeconds ?? 1) * 1000,
    maxPollMs: (raw.maxPollSeconds ?? 15) * 1000,
    lostGraceMs: (raw.lostGraceSeconds ?? 10) * 1000
  })
}

/**
 * What a stage instance asks Slurm for.
 *
 * @since 0.1.0
 * @category utils
 */
export const requestFor = (s: SlurmSettings, node: Node): SlurmRequest => {
  const kind = node.def.name
  const res = node.def.resources ?? {}
  let r: SlurmRequest = { ...(KIND_DEFAULTS[kind] ?? OTHER) }
  // A stage that needs no accelerator asks for no GPU, whatever its kind's default.
  if (res.accelerator === undefined && res.gpus === undefined) r = { ...r, gpus: 0 }
  r = {
    cpus: res.cpus ?? r.cpus,
    memMB: res.memMB ?? r.memMB,
    gpus: res.gpus ?? res.accelerator ?? r.gpus,
    minutes: res.minutes ?? r.minutes
  }
  for (const o of [s.defaults, s.kinds[kind]]) {
    if (o === undefined) continue
    r = {
      cpus: o.cpus ?? r.cpus,
      memMB: o.mem !== undefined ? parseMem(o.mem)! : r.memMB,
      gpus: o.gpus ?? r.gpus,
      minutes: o.time !== undefined ? parseSlurmTime(o.time)! : r.minutes
    }
  }
  if (s.time !== undefined) r = { ...r, minutes: parseSlurmTime(s.time)! }
  // Without a configured GPU resource name there is nothing to ask GPUs as.
  if (s.gres === undefined) r = { ...r, gpus: 0 }
  return r
}
