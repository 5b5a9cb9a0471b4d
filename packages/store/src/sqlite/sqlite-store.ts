// The embedded SQLite store (node:sqlite), for one machine running the whole system without
// MongoDB. The database is synchronous and in-process: calls run to completion one at a time
// per connection, and several connections (or processes) on one file serialise their writes
// on SQLite's write lock (WAL mode, busy_timeout).
import type { DatabaseSync } from 'node:sqlite';
import { exceptionVersionKind, imagePolicyKind, runtimePolicyKind } from '../versioned.ts';
import { checkChunkBytes, DEFAULT_REPORT_CHUNK_BYTES } from '../reports.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { StoreIdentity } from '../identity.ts';
import type { Store, StoreOptions } from '../store.ts';
import { openSqlite, type SqliteHandle } from './database.ts';
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

/** Errors from inside a repository call are translated (locked → StoreUnavailableError). */
function guard<T extends object>(repo: T, h: SqliteHandle): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(repo)) {
    out[name] =
      typeof fn === 'function'
        ? async (...args: unknown[]) => {
            try {
              return await (fn as (...a: unknown[]) => Promise<unknown>).apply(repo, args);
            } catch (err) {
              throw h.translate(err);
            }
          }
        : fn;
  }
  return out as T;
}

export async function openSqliteStore(o: SqliteStoreOptions): Promise<Store & { readonly db: DatabaseSync; readonly path: string }> {
  const chunkBytes = checkChunkBytes(o.reportChunkBytes ?? DEFAULT_REPORT_CHUNK_BYTES);
  const now = o.clock ?? (() => new Date());
  const h = openSqlite(o.path, o.busyTimeoutMs ?? 5000);
  let identity: StoreIdentity | undefined;
  return {
    kind: 'sqlite',
    db: h.db,
    path: o.path,
    policies: guard(sqliteVersionedRepository(h, 'policies', imagePolicyKind, now), h),
    runtimePolicies: guard(sqliteVersionedRepository(h, 'runtime_policies', runtimePolicyKind, now), h),
    exceptionVersions: guard(sqliteVersionedRepository(h, 'exception_versions', exceptionVersionKind, now), h),
    exceptions: guard(sqliteExceptionRepository(h), h),
    reports: guard(sqliteReportRepository(h, now, chunkBytes), h),
    layerCache: guard(sqliteLayerCacheRepository(h, now), h),
    inventory: guard(sqliteInventoryRepository(h), h),
    async identity() {
      try {
        identity ??= readSqliteIdentity(h, now);
        return identity;
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
