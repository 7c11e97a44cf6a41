/**
 * Opening a store's database: its folder made (or a one-line reason why it
 * cannot be), the connection configured, and the schema created or migrated
 * to this version in one immediate transaction.
 *
 * @internal
 */
import Database from "better-sqlite3"
import { accessSync, constants as fsc, mkdirSync, statSync } from "node:fs"
import { dirname } from "node:path"
import { configure, DDL, MIGRATIONS, SCHEMA_VERSION } from "./schema.js"

/** Why a path cannot be written, in words (from an errno code). */
const errnoWords = (code: string | undefined): string =>
  code === "EACCES" || code === "EPERM"
    ? "permission denied"
    : code === "EROFS"
      ? "read-only file system"
      : code === "ENOSPC"
        ? "no space left on the device"
        : code ?? "unknown error"

const statOf = (p: string) => {
  try {
    return statSync(p)
  } catch {
    return undefined
  }
}

/**
 * Make the store's folder, or throw an Error saying in one line which path
 * is at fault and why (a parent that is a file, a read-only or unwritable
 * folder), instead of mkdir's or SQLite's own codes.
 */
export const prepareLocation = (path: string): void => {
  const dir = dirname(path)
  // The nearest ancestor that exists tells what is wrong.
  let at = dir
  while (statOf(at) === undefined && dirname(at) !== at) at = dirname(at)
  const st = statOf(at)
  if (st !== undefined && !st.isDirectory()) throw new Error(`${at} is a file, not a folder`)
  const self = statOf(path)
  if (self?.isDirectory()) throw new Error(`${path} is a folder, not a cache file`)
  const writable = (p: string): string | undefined => {
    try {
      accessSync(p, fsc.W_OK)
      return undefined
    } catch (e) {
      return errnoWords((e as NodeJS.ErrnoException).code)
    }
  }
  if (at !== dir) {
    const why = writable(at)
    if (why !== undefined) throw new Error(`cannot create the folder ${dir}: ${why} (in ${at})`)
    try {
      mkdirSync(dir, { recursive: true })
    } catch (e) {
      throw new Error(`cannot create the folder ${dir}: ${errnoWords((e as NodeJS.ErrnoException).code)}`)
    }
  }
  // A new cache needs to create its file (and WAL) in the folder; an existing one needs the file writable.
  const why = self === undefined ? writable(dir) : writable(path)
  if (why !== undefined) throw new Error(self === undefined ? `the folder ${dir} is not writable: ${why}` : `${path} is not writable: ${why}`)
}

/**
 * The database at `path` (":memory:" for a private one), configured, with
 * its schema created or migrated; throws (having closed it) when the file
 * holds a schema this version cannot read.
 */
export const openDatabase = (path: string, busyTimeoutMs: number): Database.Database => {
  if (path !== ":memory:") prepareLocation(path)
  const db = new Database(path)
  try {
    configure(db, busyTimeoutMs)
    db.transaction(() => {
      db.exec(DDL)
      const v = db.prepare("SELECT v FROM meta WHERE k = 'schema'").pluck().get() as string | undefined
      if (v === undefined) db.prepare("INSERT INTO meta(k, v) VALUES ('schema', ?)").run(String(SCHEMA_VERSION))
      else {
        let at = Number(v)
        while (at < SCHEMA_VERSION && MIGRATIONS[at] !== undefined) db.exec(MIGRATIONS[at++]!)
        if (at !== SCHEMA_VERSION) throw new Error(`schema version ${v}, this clipcl reads version ${SCHEMA_VERSION}`)
        if (at !== Number(v)) db.prepare("UPDATE meta SET v = ? WHERE k = 'schema'").run(String(at))
      }
    }).immediate()
  } catch (e) {
    db.close()
    throw e
  }
  return db
}
