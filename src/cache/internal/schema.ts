/**
 * The store's SQLite schema and connection settings.
 *
 * Results: `artifacts` (content hash -> blob id, size, LRU time) and `chunks`
 * (blob id, index -> bytes), or for large artifacts one file per blob id
 * (`artifacts.file = 1`, see blobFiles.ts). Chunks are owned by a blob id, not by a hash,
 * because the hash is only known once the last byte is written: a write
 * fills a staging `uploads` row's blob, then publishes it under its hash in
 * one short transaction without moving any bytes.
 *
 * Metadata: `runs` (every attempt, with the key pre-image), `bindings`
 * (cache key -> the ok run and output it resolves to), `pins`,
 * `pipeline_uses` (what each pipeline's last run used).
 *
 * @internal
 */
import type Database from "better-sqlite3"

/**
 * Bumped on any incompatible schema change; checked on open. Version 2 added
 * `artifacts.file` (large artifacts' bytes in a file, see blobFiles.ts);
 * a version-1 store is migrated on open (`MIGRATIONS`).
 */
export const SCHEMA_VERSION = 2

/** SQL that brings a store from version `k` to `k + 1`. */
export const MIGRATIONS: Readonly<Record<number, string>> = {
  1: "ALTER TABLE artifacts ADD COLUMN file INTEGER NOT NULL DEFAULT 0"
}

/** Format tag of export files. */
export const EXPORT_FORMAT = "clipcl-cache-export"
export const EXPORT_VERSION = 1

/**
 * 64 KiB pages: a 4 MiB chunk is 64 overflow pages instead of 1024, which
 * roughly doubles write and read throughput of large artifacts (measured,
 * see docs/cache.md). Only takes effect when the file is created.
 */
export const PAGE_SIZE = 65536

export const DDL = `
CREATE TABLE IF NOT EXISTS meta(
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
);
-- A blob being written ('writing') or being deleted ('deleting'). Its chunks
-- are invisible until an artifacts row names the blob. Rows of dead
-- processes are swept on open and by gc.
CREATE TABLE IF NOT EXISTS uploads(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  state TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  touched_at INTEGER NOT NULL
);
-- One row per open store (process): an artifact used since the oldest live
-- session started may be in use by it, and gc leaves it alone. Rows of dead
-- processes are swept by gc.
CREATE TABLE IF NOT EXISTS sessions(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS artifacts(
  hash TEXT PRIMARY KEY,
  blob INTEGER NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  -- 1: the bytes are the file <db>.blobs/<blob> (no chunk rows)
  file INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS artifacts_by_use ON artifacts(last_used_at);
CREATE TABLE IF NOT EXISTS chunks(
  blob INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(blob, idx)
);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uid TEXT NOT NULL UNIQUE,
  key TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  stage TEXT NOT NULL,
  stage_kind TEXT NOT NULL,
  preimage TEXT NOT NULL,
  params TEXT NOT NULL,
  inputs TEXT NOT NULL,
  output TEXT,
  output_kind TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  metrics TEXT,
  log_tail TEXT NOT NULL,
  error TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_key ON runs(key, id);
CREATE INDEX IF NOT EXISTS runs_by_stage ON runs(pipeline, stage, id);
CREATE INDEX IF NOT EXISTS runs_by_output ON runs(output);
CREATE TABLE IF NOT EXISTS bindings(
  key TEXT PRIMARY KEY,
  run INTEGER NOT NULL,
  output TEXT NOT NULL,
  ended_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bindings_by_output ON bindings(output);
CREATE TABLE IF NOT EXISTS pins(
  hash TEXT PRIMARY KEY,
  pinned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pipelines(
  pipeline TEXT PRIMARY KEY,
  used_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pipeline_uses(
  pipeline TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY(pipeline, hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pipeline_uses_by_hash ON pipeline_uses(hash);
`

export const EXPORT_DDL = `
CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE artifacts(
  hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  chunks INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE chunks(
  hash TEXT NOT NULL,
  idx INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(hash, idx)
);
CREATE TABLE runs(
  uid TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  stage TEXT NOT NULL,
  stage_kind TEXT NOT NULL,
  preimage TEXT NOT NULL,
  params TEXT NOT NULL,
  inputs TEXT NOT NULL,
  output TEXT,
  output_kind TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER NOT NULL,
  metrics TEXT,
  log_tail TEXT NOT NULL,
  error TEXT
);
`

/**
 * Connection settings. WAL lets readers run beside one writer;
 * `synchronous=NORMAL` skips the fsync per commit (WAL stays consistent after
 * a process kill; a power cut may lose the last commits, never corrupt);
 * `busy_timeout` makes a second process wait for the (short) write
 * transactions of the first instead of failing.
 */
export const configure = (db: Database.Database, busyTimeoutMs: number): void => {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`)
  if (!db.memory) {
    const fresh = (db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number }).n === 0
    if (fresh) {
      db.pragma(`page_size = ${PAGE_SIZE}`)
      // Lets gc hand freed pages back to the file system.
      db.pragma("auto_vacuum = INCREMENTAL")
    }
    db.pragma("journal_mode = WAL")
    // Truncate a WAL that grew during a big write once it is checkpointed.
    db.pragma("journal_size_limit = 67108864")
  } else {
    db.pragma(`page_size = ${PAGE_SIZE}`)
  }
  db.pragma("synchronous = NORMAL")
  db.pragma("foreign_keys = OFF")
  db.pragma("cache_size = -32768")
}
