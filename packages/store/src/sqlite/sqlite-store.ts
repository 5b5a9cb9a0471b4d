// The embedded SQLite store (node:sqlite), for one machine running the whole system without
// MongoDB. The database is synchronous and in-process: calls run to completion one at a time
// per connection, and several connections (or processes) on one file serialise their writes
// on SQLite's write lock (WAL mode, busy_timeout).
import type { DatabaseSync } from 'node:sqlite';
import { checkChunkBytes, DEFAULT_REPORT_CHUNK_BYTES } from '../reports.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { Store, StoreOptions } from '../store.ts';
import { repositories } from '../repositories.ts';
import { openSqlite } from './database.ts';
import { readSqliteIdentity } from './identity.ts';
import { sqliteExceptionRepository } from './exceptions.ts';
import { sqliteInventoryRepository } from './inventory.ts';
import { sqliteLayerCacheRepository } from './layer-cache.ts';
import { sqliteVersionedRepository } from './versioned.ts';
import { sqliteReportRepository } from './reports.ts';

export interface SqliteStoreOptions extends StoreOptions {
  /** Database file (its directory is created), or `:memory:`. */
  path: string;
  /** How long a write waits for another connection's lock (default 5000 ms). */
  busyTimeoutMs?: number;
}

export async function openSqliteStore(o: SqliteStoreOptions): Promise<Store & { readonly db: DatabaseSync; readonly path: string }> {
  const chunkBytes = checkChunkBytes(o.reportChunkBytes ?? DEFAULT_REPORT_CHUNK_BYTES);
  const now = o.clock ?? (() => new Date());
  const h = openSqlite(o.path, o.busyTimeoutMs ?? 5000);
  return {
    kind: 'sqlite',
    db: h.db,
    path: o.path,
    // Errors from inside a repository call are translated (locked → StoreUnavailableError).
    ...repositories(
      {
        versioned: (kind) => sqliteVersionedRepository(h, kind, now),
        exceptions: () => sqliteExceptionRepository(h),
        reports: () => sqliteReportRepository(h, now, chunkBytes),
        layerCache: () => sqliteLayerCacheRepository(h, now),
        inventory: () => sqliteInventoryRepository(h),
      },
      (err) => h.translate(err),
    ),
    async identity() {
      try {
        return readSqliteIdentity(h, now);
      } catch (err) {
        throw h.translate(err);
      }
    },
    async ping() {
      try {
        h.db.prepare('SELECT 1').get();
      } catch (err) {
        throw new StoreUnavailableError(`SQLite database ${o.path} does not answer: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    async close() {
      if (h.db.isOpen) h.db.close();
    },
  };
}
