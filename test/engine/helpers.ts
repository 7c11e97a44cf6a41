// Helpers of the engine tests: run the CLI in-process with captured output, temp folders, child processes.
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { main } from "../../src/cli/main.js"

export const fixture = (name: string): string => resolve("test/fixtures/pipelines", name)

export const tempDir = (): { readonly dir: string; readonly cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), "clipcl-engine-"))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export interface CliResult {
  readonly code: number
  readonly out: string
  readonly err: string
  /** stdout parsed as NDJSON (lines that are not JSON are dropped). */
  readonly json: Array<any>
}

/** Run `clipcl ARGS` in this process. */
export const cli = async (...args: Array<string>): Promise<CliResult> => {
  let out = ""
  let err = ""
  const code = await main(args, {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    isTTY: false,
    onInterrupt: () => () => {}
  })
  const json = out.split("\n").flatMap((l) => {
    try {
      return l.trim() ? [JSON.parse(l)] : []
    } catch {
      return []
    }
  })
  return { code, out, err, json }
}

export const finals = (events: ReadonlyArray<any>): Record<string, string> =>
  Object.fromEntries(events.filter((e) => e.type === "stage" && e.status !== "running" && e.status !== "queued").map((e) => [e.stage, e.status]))

/** Spawn `node bin/clipcl.js ARGS` (a real process: signals, concurrency). */
export const spawnCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcess & { lines: Array<any>; exited: Promise<number | null>; waitFor: (p: (e: any) => boolean, ms?: number) => Promise<any> } => {
  const child = spawn(process.execPath, [resolve("bin/clipcl.js"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  const lines: Array<any> = []
  const waiters: Array<{ p: (e: any) => boolean; resolve: (e: any) => void }> = []
  let buf = ""
  let stderr = ""
  child.stderr!.on("data", (d) => void (stderr += d))
  child.stdout!.on("data", (d) => {
    buf += d
    let nl: number
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      try {
        const e = JSON.parse(line)
        lines.push(e)
        for (const w of [...waiters]) if (w.p(e)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(e)
        }
      } catch {
        /* not JSON */
      }
    }
  })
  const exited = new Promise<number | null>((r) => child.on("exit", (code, signal) => r(code ?? (signal ? -1 : null))))
  const waitFor = (p: (e: any) => boolean, ms = 60_000) =>
    new Promise<any>((res, rej) => {
      const hit = lines.find(p)
      if (hit) return res(hit)
      const t = setTimeout(() => rej(new Error(`timed out waiting for an event; stderr: ${stderr}`)), ms)
      waiters.push({ p, resolve: (e) => { clearTimeout(t); res(e) } })
      void exited.then(() => setTimeout(() => rej(new Error(`process exited first; stderr: ${stderr}`)), 50))
    })
  return Object.assign(child, { lines, exited, waitFor })
}
