// Image inventory on SQLite: one row per digest, plus inventory_locations rows (registry,
// repository) for repository queries. Changes are read-modify-write in one BEGIN IMMEDIATE
// transaction, with the same merge rules as on MongoDB.
import { digest, validate, type ImageRecord } from '@assay/domain';
import { checkFilter, imageCodec, inventoryWrites, type InventoryRepository } from '../inventory.ts';
import { decodeCursor, makePage, pageLimit } from '../pagination.ts';
import { fromJson, toJson, type SqliteHandle } from './database.ts';

interface Row {
  digest: string;
  doc: string;
}

export function sqliteInventoryRepository(h: SqliteHandle): InventoryRepository {
  const one = h.db.prepare('SELECT digest, doc FROM inventory WHERE digest = ?');
  const upsert = h.db.prepare(
    `INSERT INTO inventory (digest, scan_status, doc) VALUES (?, ?, ?)
     ON CONFLICT (digest) DO UPDATE SET scan_status = excluded.scan_status, doc = excluded.doc`,
  );
  const addLocation = h.db.prepare('INSERT OR IGNORE INTO inventory_locations (digest, registry, repository) VALUES (?, ?, ?)');
  const del = h.db.prepare('DELETE FROM inventory WHERE digest = ?');
  const decode = (r: Row): ImageRecord => imageCodec.decode(fromJson(r.doc, r.digest), r.digest);
  const queries = new Map<string, ReturnType<typeof h.db.prepare>>();

  function modify(d: string, change: (existing: ImageRecord | undefined) => ImageRecord | undefined): ImageRecord {
    return h.write(() => {
      const row = one.get(d) as Row | undefined;
      const existing = row ? decode(row) : undefined;
      const next = change(existing);
      if (!next) return existing!;
      upsert.run(d, next.scanStatus, toJson(imageCodec.encode(next)));
      // Locations are only ever added.
      for (const l of next.locations) addLocation.run(d, l.registry, l.repository);
      return next;
    });
  }

  const repo: InventoryRepository = {
    ...inventoryWrites(modify),
    async get(d) {
      validate(digest, d, 'digest');
      const r = one.get(d) as Row | undefined;
      return r ? decode(r) : undefined;
    },
    findByRepository(registry, repository, page) {
      return repo.list({ registry, repository }, page);
    },
    async list(filter, req) {
      const f = checkFilter(filter);
      const limit = pageLimit(req);
      const after = decodeCursor('inventory', req);
      const where = ['digest > ?'];
      const args: (string | number)[] = [after ? String(after[0]) : ''];
      if (f.repository !== undefined) {
        where.push('digest IN (SELECT digest FROM inventory_locations WHERE registry = ? AND repository = ?)');
        args.push(f.registry!, f.repository);
      } else if (f.registry !== undefined) {
        where.push('digest IN (SELECT digest FROM inventory_locations WHERE registry = ?)');
        args.push(f.registry);
      }
      if (f.scanStatus !== undefined) {
        where.push('scan_status = ?');
        args.push(f.scanStatus);
      }
      const sql = `SELECT digest, doc FROM inventory WHERE ${where.join(' AND ')} ORDER BY digest LIMIT ?`;
      let stmt = queries.get(sql);
      if (!stmt) queries.set(sql, (stmt = h.db.prepare(sql)));
      const rows = stmt.all(...args, limit + 1) as unknown as Row[];
      return makePage('inventory', rows, limit, (r) => [r.digest], decode);
    },
    async delete(d) {
      validate(digest, d, 'digest');
      return Number(h.write(() => del.run(d).changes)) === 1;
    },
  };
  return repo;
}
