/**
 * Sessions: what gc must leave alone.
 *
 * A process relies on an artifact only after claiming it: its row's
 * last_used_at is at least the process's session start, committed. gc
 * evicts only artifacts last used before the oldest other live session
 * began, deciding in the same transaction that deletes the row, so a claim
 * and an eviction are ordered by SQLite's write lock: either the claim
 * wins and gc skips the artifact, or the eviction wins and the claim sees
 * no row (the put re-stores it, the lookup misses and the stage re-runs).
 *
 * @internal
 */
import type { StoreContext } from "./context.js"
import type { ArtifactRow } from "./rows.js"

/** Whether a process of this host lives (EPERM: it exists but belongs to someone else). */
export const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** This store's session in the `sessions` table. */
export interface Sessions {
  /**
   * Register this process's session before its first use of an artifact
   * (a put, a lookup, a read). Processes that only inspect (ls, stats,
   * verify, gc) never register, so they protect nothing.
   */
  readonly ensureSession: () => void
  /** When this session began (0 until it registered; always 0 in memory). */
  readonly sessionStart: () => number
  /** Earliest start of another live session (Infinity when none); sessions of dead processes are dropped. */
  readonly liveCutoff: () => number
  /** The artifact's row, claimed for this session (undefined: not stored, or just evicted). */
  readonly claimRow: (hash: string) => ArtifactRow | undefined
  /** Drop this session's row (on close). */
  readonly end: () => void
}

export const makeSessions = (ctx: StoreContext): Sessions => {
  const { st, batch, memory, host, now } = ctx
  /** This store's row in `sessions` (0 until it first uses an artifact; always 0 in memory) and when it began. */
  let session = 0
  let sessionStart = 0
  let sessionTried = false

  const ensureSession = (): void => {
    if (memory || sessionTried) return
    sessionTried = true
    const t = now()
    try {
      session = Number(st.newSession.run(process.pid, host, t).lastInsertRowid)
      sessionStart = t
    } catch (e) {
      // A store that cannot be written (read-only, full) still reads; nothing it uses is protected.
      ctx.noteFailure(e)
    }
  }

  /** Claim by one UPDATE; false when the row is gone. A claim that cannot be written protects nothing but loses nothing. */
  const claimWrite = (hash: string, t: number): boolean => {
    try {
      return st.claim.run(t, hash).changes > 0
    } catch (e) {
      ctx.noteFailure(e)
      return st.hasArtifact.get(hash) !== undefined
    }
  }

  return {
    ensureSession,
    sessionStart: () => sessionStart,
    liveCutoff: () => {
      let cutoff = Infinity
      for (const r of st.sessions.all(session) as Array<{ id: number; pid: number; host: string; started_at: number }>) {
        const live = r.host === host ? isProcessAlive(r.pid) : now() - r.started_at <= ctx.staleUploadMs
        if (live) cutoff = Math.min(cutoff, r.started_at)
        else st.dropSession.run(r.id)
      }
      return cutoff
    },
    claimRow: (hash) => {
      ensureSession()
      if (batch.hasArtifact(hash)) batch.flush()
      const row = st.artifact.get(hash) as ArtifactRow | undefined
      if (row === undefined || memory || row.last_used_at >= sessionStart) return row
      if (!claimWrite(hash, Math.max(now(), sessionStart))) return undefined
      return st.artifact.get(hash) as ArtifactRow | undefined
    },
    end: () => {
      if (session !== 0) st.dropSession.run(session)
    }
  }
}
