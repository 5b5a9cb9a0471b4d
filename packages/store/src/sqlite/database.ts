// The embedded SQLite database (node:sqlite): opening with the pragmas a multi-connection
// writer needs, the table layout (versioned by PRAGMA user_version), transactions, and the
// mapping of SQLite errors to store errors.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { isObject } from '@assay/kit';
import { ConflictError, CorruptDocumentError, StoreError, StoreUnavailableError } from '../errors.ts';

/** Layout version of the tables (not of the documents: those carry schemaVersion). */
export const SQLITE_LAYOUT_VERSION = 3;

// JSON documents are TEXT; the columns beside them are the keys queries and uniqueness need.
// Report and layer-analysis bodies are gzip BLOBs.
const LAYOUT_V1 = `
CREATE TABLE policies (
  id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE TABLE runtime_policies (
  id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE TABLE exceptions (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX exceptions_expiry ON exceptions (expires_at, id);
CREATE TABLE reports (
  digest TEXT PRIMARY KEY, report_id TEXT NOT NULL UNIQUE, generation TEXT NOT NULL, head TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX reports_generation ON reports (generation);
-- A rowid table: SQLite keeps large BLOB rows better there than in a WITHOUT ROWID b-tree.
CREATE TABLE report_chunks (
  generation TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, created_at INTEGER NOT NULL,
  UNIQUE (generation, n)
);
CREATE INDEX report_chunks_created ON report_chunks (created_at);
CREATE TABLE layer_cache (key TEXT PRIMARY KEY, last_used INTEGER NOT NULL, head TEXT NOT NULL, analysis BLOB NOT NULL);
CREATE INDEX layer_cache_last_used ON layer_cache (last_used);
CREATE TABLE inventory (digest TEXT PRIMARY KEY, scan_status TEXT NOT NULL, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX inventory_status ON inventory (scan_status, digest);
CREATE TABLE inventory_locations (
  digest TEXT NOT NULL REFERENCES inventory (digest) ON DELETE CASCADE,
  registry TEXT NOT NULL, repository TEXT NOT NULL,
  PRIMARY KEY (registry, repository, digest)
) WITHOUT ROWID;
CREATE INDEX inventory_locations_digest ON inventory_locations (digest);
`;

export interface SqliteHandle {
  readonly db: DatabaseSync;
  readonly path: string;
  /** Runs `fn` in a write transaction (BEGIN IMMEDIATE: takes the write lock first, waiting busy_timeout). */
  write<T>(fn: () => T): T;
  /** Runs `fn` in a read transaction: one consistent snapshot across its statements. */
  read<T>(fn: () => T): T;
  /** SQLite errors → store errors (locked → StoreUnavailableError). */
  translate(err: unknown): unknown;
}

function sqliteCode(err: unknown): number | undefined {
  const c = (err as { errcode?: unknown })?.errcode;
  return typeof c === 'number' ? c : undefined;
}

export function isConstraintError(err: unknown): boolean {
  const c = sqliteCode(err);
  return c !== undefined && (c & 0xff) === 19; // SQLITE_CONSTRAINT and its extended codes
}

export function openSqlite(path: string, busyTimeoutMs: number): SqliteHandle {
  let db: DatabaseSync;
  try {
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    // `timeout` is SQLite's busy_timeout: a writer waits this long for another connection's lock.
    db = new DatabaseSync(path, { timeout: busyTimeoutMs, enableForeignKeyConstraints: true });
    db.exec('PRAGMA journal_mode = WAL'); // readers do not block the writer, nor it them
    db.exec('PRAGMA synchronous = NORMAL'); // durable at each checkpoint; safe with WAL
    db.exec('PRAGMA foreign_keys = ON');
  } catch (err) {
    throw new StoreUnavailableError(`SQLite database ${path} cannot be opened: ${(err as Error).message}`, {
      cause: err,
    });
  }

  const translate = (err: unknown): unknown => {
    if (err instanceof StoreError) return err;
    const c = sqliteCode(err);
    if (c !== undefined && ((c & 0xff) === 5 || (c & 0xff) === 6)) {
      return new StoreUnavailableError(`SQLite database ${path} stayed locked by another connection for more than ${busyTimeoutMs} ms`, {
        cause: err,
      });
    }
    if (c !== undefined && (c & 0xff) === 11) {
      return new CorruptDocumentError(`SQLite database ${path} is corrupt: ${(err as Error).message}`, { cause: err });
    }
    return err;
  };

  const run = <T>(begin: string, fn: () => T): T => {
    try {
      db.exec(begin);
    } catch (err) {
      throw translate(err);
    }
    try {
      const out = fn();
      db.exec('COMMIT');
      return out;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw translate(err);
    }
  };
  const handle: SqliteHandle = {
    db,
    path,
    write: (fn) => run('BEGIN IMMEDIATE', fn),
    read: (fn) => run('BEGIN', fn),
    translate,
  };

  try {
    migrate(handle);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreUnavailableError(`SQLite database ${path} cannot be prepared: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return handle;
}

// Layout 2: every version of every exception.
const LAYOUT_V2 = `
CREATE TABLE exception_versions (
  id TEXT NOT NULL, version INTEGER NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
  PRIMARY KEY (id, version)
) WITHOUT ROWID;
`;

// Layout 3: the store identity (one row; see identity.ts).
const LAYOUT_V3 = `
CREATE TABLE store_identity (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1), id TEXT NOT NULL, created_at TEXT NOT NULL
);
`;

/** Each layout's additions, applied in order from the database's version on. */
const LAYOUTS = [LAYOUT_V1, LAYOUT_V2, LAYOUT_V3];

/** Creates the tables once; concurrent openers serialise on the write lock and re-check. */
function migrate(h: SqliteHandle): void {
  const version = () => (h.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (version() === SQLITE_LAYOUT_VERSION) return;
  h.write(() => {
    const v = version();
    if (v > SQLITE_LAYOUT_VERSION) {
      throw new StoreError(
        `SQLite database ${h.path} has table layout ${v}, newer than this version of Assay knows (${SQLITE_LAYOUT_VERSION})`,
      );
    }
    for (let next = v; next < SQLITE_LAYOUT_VERSION; next++) h.db.exec(LAYOUTS[next]!);
    h.db.exec(`PRAGMA user_version = ${SQLITE_LAYOUT_VERSION}`);
  });
}

/** JSON text of a stored document (Dates become ISO-8601 strings). */
export function toJson(doc: unknown): string {
  return JSON.stringify(doc);
}

export function fromJson(text: unknown, ref: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(String(text));
    if (isObject(v)) return v;
  } catch {
    // reported below
  }
  throw new CorruptDocumentError(`stored document ${ref} is not a JSON object`);
}

/** Conflict from a uniqueness violation, or the error itself. */
export function conflictOr(err: unknown, message: string): unknown {
  return isConstraintError(err) ? new ConflictError(message, {}, { cause: err }) : err;
}
