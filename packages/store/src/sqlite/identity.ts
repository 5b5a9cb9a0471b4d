// The store identity in SQLite: one row, inserted by whichever connection asks first
// (INSERT OR IGNORE inside the write lock, so racing processes agree on one id).
import { resolve } from 'node:path';
import { CorruptDocumentError } from '../errors.ts';
import { newStoredIdentity, type StoreIdentity } from '../identity.ts';
import type { SqliteHandle } from './database.ts';

/** Where the file is, as another process would name it (absolute); `:memory:` and URIs as given. */
export function sqliteLocation(path: string): string {
  return path === ':memory:' || path.startsWith('file:') ? path : resolve(path);
}

export function readSqliteIdentity(h: SqliteHandle, now: () => Date): StoreIdentity {
  const select = () =>
    h.db.prepare('SELECT id, created_at FROM store_identity WHERE singleton = 1').get() as { id: unknown; created_at: unknown } | undefined;
  let row = select();
  if (!row) {
    const fresh = newStoredIdentity(now());
    row = h.write(() => {
      h.db.prepare('INSERT OR IGNORE INTO store_identity (singleton, id, created_at) VALUES (1, ?, ?)').run(fresh.id, fresh.createdAt);
      return select();
    });
  }
  if (!row || typeof row.id !== 'string' || typeof row.created_at !== 'string') {
    throw new CorruptDocumentError(`SQLite database ${h.path} has an unreadable store identity`);
  }
  return { id: row.id, kind: 'sqlite', location: sqliteLocation(h.path), createdAt: row.created_at };
}
