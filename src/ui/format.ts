/**
 * Text building blocks shared by every view (live, plan, summary, plain
 * lines): durations, bars, status symbols, truncation. Pure functions of
 * their arguments, so the ink components and the string renderers agree
 * character for character.
 *
 * @since 0.1.0
 */
import type { StageStatus } from "../scheduler/Event.js"

/**
 * What a view shows for a stage: the engine's statuses (a stage stopped by
 * Ctrl-C is `interrupted`, not `failed`: people should not read that as a
 * bug in their stage) plus `planned` (a stage that `clipcl plan` says will
 * run).
 *
 * @since 0.1.0
 * @category models
 */
export type DisplayStatus = StageStatus | "planned"

/**
 * @since 0.1.0
 * @category models
 */
export interface StatusStyle {
  readonly symbol: string
  readonly color: string
  readonly label: string
  readonly dim?: boolean
}

/**
 * Symbol, colour (an ink/chalk colour name) and word for each status. The
 * symbols differ in shape, not only colour, so they read without colour
 * (pipes, `NO_COLOR`, colour-blind readers).
 *
 * @since 0.1.0
 * @category utils
 */
export const statusStyle: Readonly<Record<DisplayStatus, StatusStyle>> = {
  queued: { symbol: "○", color: "gray", label: "queued", dim: true },
  planned: { symbol: "○", color: "white", label: "run" },
  running: { symbol: "●", color: "yellow", label: "running" },
  cached: { symbol: "◆", color: "cyan", label: "cached" },
  ran: { symbol: "✓", color: "green", label: "done" },
  failed: { symbol: "✗", color: "red", label: "failed" },
  skipped: { symbol: "–", color: "gray", label: "skipped", dim: true },
  interrupted: { symbol: "■", color: "yellow", label: "interrupted" }
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"] as const

/**
 * The spinner frame for a point in time (100 ms per frame), so a frame is a
 * function of the state's clock and tests stay deterministic.
 *
 * @since 0.1.0
 * @category utils
 */
export const spinner = (now: number): string => SPINNER[Math.floor(now / 100) % SPINNER.length]!

/**
 * A short duration for stage times: `45ms`, `0.3s`, `12s`, `2m05s`, `1h02m`.
 *
 * @since 0.1.0
 * @category utils
 */
export const shortDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "?"
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`
  const h = Math.floor(m / 60)
  return `${h}h${String(m % 60).padStart(2, "0")}m`
}

/**
 * A clock reading for elapsed times and ETAs: `0:04`, `12:30`, `1:02:03`.
 *
 * @since 0.1.0
 * @category utils
 */
export const clock = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return "?"
  const total = Math.round(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"] as const

/**
 * A progress bar of exactly `width` cells: full blocks, one eighth-block for
 * the fraction of a cell, light shade for the rest.
 *
 * @since 0.1.0
 * @category utils
 */
export const bar = (fraction: number, width: number): { readonly filled: string; readonly empty: string } => {
  const w = Math.max(0, Math.floor(width))
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
  const eighths = Math.round(f * w * 8)
  const full = Math.floor(eighths / 8)
  const part = EIGHTHS[eighths % 8]!
  const filled = "█".repeat(full) + part
  return { filled, empty: "░".repeat(w - full - (part ? 1 : 0)) }
}

/**
 * Cut `text` to `width` columns with an ellipsis.
 *
 * @since 0.1.0
 * @category utils
 */
export const truncate = (text: string, width: number): string =>
  width <= 0 ? "" : text.length <= width ? text : width === 1 ? "…" : text.slice(0, width - 1) + "…"

/**
 * A metric value: four decimals below 1 (accuracies line up), else four
 * significant digits; integers as they are, very large or small in exponent form.
 *
 * @since 0.1.0
 * @category utils
 */
export const metricValue = (v: number): string =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : Math.abs(v) < 1 ? v.toFixed(4) : v.toPrecision(4)

/** Metrics people look for first. */
const PREFERRED = ["loss", "accuracy", "acc", "val_loss", "val_accuracy"]

/**
 * Metrics as `loss 0.1234 · accuracy 0.9100`, the usual ones first.
 *
 * @since 0.1.0
 * @category utils
 */
export const metricsText = (metrics: Readonly<Record<string, number>> | undefined): string => {
  if (metrics === undefined) return ""
  const keys = Object.keys(metrics).sort((a, b) => {
    const ia = PREFERRED.indexOf(a)
    const ib = PREFERRED.indexOf(b)
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b)
  })
  return keys.map((k) => `${k} ${metricValue(metrics[k]!)}`).join(" · ")
}

/**
 * A rate in steps per second (`12.3/s`, or `4.0s/it` when slower than one step a second).
 *
 * @since 0.1.0
 * @category utils
 */
export const rateText = (stepsPerSecond: number): string =>
  stepsPerSecond >= 1 ? `${stepsPerSecond >= 100 ? Math.round(stepsPerSecond) : stepsPerSecond.toPrecision(3)}/s` : `${(1 / stepsPerSecond).toPrecision(2)}s/it`

/** Any ANSI escape sequence (CSI and OSC). */
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*(?:\u0007|\u001b\\)/g

/**
 * Remove ANSI escapes (for pipes, files and tests).
 *
 * @since 0.1.0
 * @category utils
 */
export const stripAnsi = (text: string): string => text.replace(ANSI, "")
