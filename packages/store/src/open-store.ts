// Opening the store the configuration names: MongoDB or embedded SQLite. Kept apart from the
// Store interface (store.ts), which the adapters implement, so nothing imports in a circle.
import type { StoreConfig } from './config.ts';
import type { Store, StoreOptions } from './store.ts';

/** Settings as loaded by storeSettings(); unset ones take the same defaults. */
export type OpenStoreConfig = Partial<StoreConfig>;

/** MongoDB when MONGO_URL is set, otherwise SQLite at SQLITE_PATH (default data/assay.db). */
export async function openStore(config: OpenStoreConfig, options: StoreOptions = {}): Promise<Store> {
  if (config.MONGO_URL !== undefined) {
    const { openMongoStore } = await import('./mongo/mongo-store.ts');
    return openMongoStore({
      ...options,
      url: config.MONGO_URL,
      dbName: config.MONGO_DB ?? 'assay',
      ...(config.MONGO_TLS_CA !== undefined ? { tlsCAFile: config.MONGO_TLS_CA } : {}),
      ...(config.MONGO_TLS_CERT_KEY !== undefined ? { tlsCertificateKeyFile: config.MONGO_TLS_CERT_KEY } : {}),
      ...(config.MONGO_MAX_POOL_SIZE !== undefined ? { maxPoolSize: config.MONGO_MAX_POOL_SIZE } : {}),
      ...(config.MONGO_WAIT_QUEUE_TIMEOUT !== undefined ? { waitQueueTimeoutMS: config.MONGO_WAIT_QUEUE_TIMEOUT } : {}),
      ...(config.MONGO_SERVER_SELECTION_TIMEOUT !== undefined ? { serverSelectionTimeoutMS: config.MONGO_SERVER_SELECTION_TIMEOUT } : {}),
    });
  }
  const { openSqliteStore } = await import('./sqlite/sqlite-store.ts');
  return openSqliteStore({
    ...options,
    path: config.SQLITE_PATH ?? 'data/assay.db',
    ...(config.SQLITE_BUSY_TIMEOUT !== undefined ? { busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT } : {}),
  });
}
