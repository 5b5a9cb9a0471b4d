// Versioned policies on SQLite: one row per version, primary key (id, version). A write reads
// the latest version and inserts the next one inside one BEGIN IMMEDIATE transaction, so
// writers on any connection (or process) serialise; the primary key backs it up.
import { identifier, validate, type VersionedRecord } from '@assay/domain';
import { ConflictError, NotFoundError } from '../errors.ts';
import { decodeCursor, makePage, pageLimit } from '../pagination.ts';
import {
  buildVersion,
  EXCEPTION_VERSIONS,
  POLICIES,
  RUNTIME_POLICIES,
  type VersionedKind,
  type VersionedRepository,
} from '../versioned.ts';
import { fromJson, isConstraintError, toJson, type SqliteHandle } from './database.ts';

interface Row {
  id: string;
  version: number;
  deleted: number;
  doc: string;
}

/** The table of each versioned collection. */
const TABLES: Readonly<Record<string, string>> = {
  [POLICIES]: 'policies',
  [RUNTIME_POLICIES]: 'runtime_policies',
  [EXCEPTION_VERSIONS]: 'exception_versions',
};

export function sqliteVersionedRepository<T>(h: SqliteHandle, kind: VersionedKind<T>, now: () => Date): VersionedRepository<T> {
  const table = TABLES[kind.collection];
  if (table === undefined) throw new Error(`no SQLite table holds the versioned collection ${kind.collection}`);
  const latest = h.db.prepare(`SELECT id, version, deleted, doc FROM ${table} WHERE id = ? ORDER BY version DESC LIMIT 1`);
  const one = h.db.prepare(`SELECT id, version, deleted, doc FROM ${table} WHERE id = ? AND version = ?`);
  const all = h.db.prepare(`SELECT id, version, deleted, doc FROM ${table} WHERE id = ? ORDER BY version`);
  const page = h.db.prepare(
    `SELECT p.id, p.version, p.deleted, p.doc FROM ${table} p
     WHERE p.id > ? AND p.deleted = 0 AND p.version = (SELECT MAX(version) FROM ${table} WHERE id = p.id)
     ORDER BY p.id LIMIT ?`,
  );
  const insert = h.db.prepare(`INSERT INTO ${table} (id, version, deleted, doc) VALUES (?, ?, ?, ?)`);

  const decode = (r: Row): VersionedRecord<T> => {
    const ref = `${r.id} v${r.version}`;
    return kind.codec.decode(fromJson(r.doc, ref), ref);
  };
  const checkId = (id: string) => validate(identifier, id, `${kind.root}Id`);
  const conflict = (id: string, expected: number, actual: number) =>
    new ConflictError(
      `${kind.root} ${id}: version ${expected} is not the latest (latest is ${actual}); re-read and apply the change again`,
      { expected, actual },
    );

  function write(id: string, expected: number, stored: Record<string, unknown>, mustExist: boolean): void {
    h.write(() => {
      const cur = latest.get(id) as Row | undefined;
      if (mustExist && (!cur || cur.deleted === 1)) throw new NotFoundError(`${kind.root} ${id} does not exist`);
      const actual = cur?.version ?? 0;
      if (actual !== expected) throw conflict(id, expected, actual);
      try {
        insert.run(id, expected + 1, stored.deleted ? 1 : 0, toJson(stored));
      } catch (err) {
        if (isConstraintError(err)) throw conflict(id, expected, expected + 1);
        throw err;
      }
    });
  }

  return {
    async current(id) {
      checkId(id);
      const r = latest.get(id) as Row | undefined;
      return r && r.deleted === 0 ? decode(r) : undefined;
    },
    async get(id, version) {
      checkId(id);
      const r = one.get(id, version) as Row | undefined;
      return r ? decode(r) : undefined;
    },
    async history(id) {
      checkId(id);
      return (all.all(id) as unknown as Row[]).map(decode);
    },
    async list(req) {
      const limit = pageLimit(req);
      const after = decodeCursor(kind.collection, req);
      const rows = page.all(after ? String(after[0]) : '', limit + 1) as unknown as Row[];
      return makePage(kind.collection, rows, limit, (r) => [r.id], decode);
    },
    async put(id, document, options) {
      const { record, stored } = buildVersion(kind, id, document, options, now());
      write(id, options.expectedVersion, stored, false);
      return record;
    },
    async delete(id, options) {
      const { record, stored } = buildVersion<T>(kind, id, null, options, now());
      write(id, options.expectedVersion, stored, true);
      return record;
    },
  };
}
