// Exceptions on SQLite: the id is the primary key; expires_at (epoch ms) serves expiry queries.
import { identifier, timestamp, validate, type PolicyException } from '@assay/domain';
import { ConflictError, NotFoundError } from '../errors.ts';
import { exceptionCodec, type ExceptionRepository } from '../exceptions.ts';
import { decodeCursor, makePage, pageLimit, type PageRequest } from '../pagination.ts';
import { fromJson, isConstraintError, toJson, type SqliteHandle } from './database.ts';

interface Row {
  id: string;
  expires_at: number;
  doc: string;
}

export function sqliteExceptionRepository(h: SqliteHandle): ExceptionRepository {
  const insert = h.db.prepare('INSERT INTO exceptions (id, expires_at, doc) VALUES (?, ?, ?)');
  const replace = h.db.prepare('UPDATE exceptions SET expires_at = ?, doc = ? WHERE id = ?');
  const one = h.db.prepare('SELECT id, expires_at, doc FROM exceptions WHERE id = ?');
  const del = h.db.prepare('DELETE FROM exceptions WHERE id = ?');
  const byId = h.db.prepare('SELECT id, expires_at, doc FROM exceptions WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?');
  // Rows after the cursor (e, i) in (expires_at, id) order, within [lo, hi].
  const byExpiry = h.db.prepare(
    `SELECT id, expires_at, doc FROM exceptions
     WHERE expires_at > ? AND expires_at <= ? AND (expires_at > ? OR (expires_at = ? AND id > ?))
     ORDER BY expires_at, id LIMIT ?`,
  );

  const decode = (r: Row): PolicyException => exceptionCodec.decode(fromJson(r.doc, r.id), r.id);

  function pageById(activeAt: number, listing: string, req: PageRequest | undefined) {
    const limit = pageLimit(req);
    const after = decodeCursor(listing, req);
    const rows = byId.all(after ? String(after[0]) : '', activeAt, limit + 1) as unknown as Row[];
    return makePage(listing, rows, limit, (r) => [r.id], decode);
  }

  function pageByExpiry(lo: number, hi: number, listing: string, req: PageRequest | undefined) {
    const limit = pageLimit(req);
    const after = decodeCursor(listing, req);
    const e = after ? Number(after[0]) : Number.MIN_SAFE_INTEGER;
    const i = after ? String(after[1]) : '';
    const rows = byExpiry.all(lo, hi, e, e, i, limit + 1) as unknown as Row[];
    return makePage(listing, rows, limit, (r) => [r.expires_at, r.id], decode);
  }

  return {
    async create(exception) {
      const stored = exceptionCodec.encode(exception);
      try {
        h.write(() => insert.run(stored.id, stored.expiresAt.getTime(), toJson(stored)));
      } catch (err) {
        if (isConstraintError(err)) {
          throw new ConflictError(`exception ${stored.id} already exists`, {}, { cause: err });
        }
        throw err;
      }
      return exceptionCodec.decode(fromJson(toJson(stored), stored.id), stored.id);
    },
    async get(id) {
      validate(identifier, id, 'exceptionId');
      const r = one.get(id) as Row | undefined;
      return r ? decode(r) : undefined;
    },
    async update(exception) {
      const stored = exceptionCodec.encode(exception);
      const changes = h.write(() => replace.run(stored.expiresAt.getTime(), toJson(stored), stored.id).changes);
      if (Number(changes) === 0) throw new NotFoundError(`exception ${stored.id} does not exist`);
      return exceptionCodec.decode(fromJson(toJson(stored), stored.id), stored.id);
    },
    async delete(id) {
      validate(identifier, id, 'exceptionId');
      return Number(h.write(() => del.run(id).changes)) === 1;
    },
    list: async (req) => pageById(Number.MIN_SAFE_INTEGER, 'exceptions', req),
    async listActive(now, req) {
      validate(timestamp, now, 'now');
      return pageById(now.getTime(), 'exceptions.active', req);
    },
    async listExpiringBefore(t, now, req) {
      validate(timestamp, t, 't');
      validate(timestamp, now, 'now');
      return pageByExpiry(now.getTime(), t.getTime(), 'exceptions.expiring', req);
    },
    async expired(now, req) {
      validate(timestamp, now, 'now');
      return pageByExpiry(Number.MIN_SAFE_INTEGER, now.getTime(), 'exceptions.expired', req);
    },
  };
}
