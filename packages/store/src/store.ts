// The store facade: every repository behind one object, on MongoDB or embedded SQLite.
import type { ExceptionRepository, PolicyException } from './exceptions.ts';
import type { InventoryRepository } from './inventory.ts';
import type { LayerCacheRepository } from './layer-cache.ts';
import type { ImageAssurancePolicy, RuntimePolicy, VersionedRepository } from './policies.ts';
import type { ScanReportRepository } from './reports.ts';
import type { StoreConfig } from './config.ts';
import type { StoreIdentity } from './identity.ts';

export interface Store {
  readonly kind: 'mongodb' | 'sqlite';
  readonly policies: VersionedRepository<ImageAssurancePolicy>;
  readonly runtimePolicies: VersionedRepository<RuntimePolicy>;
  readonly exceptions: ExceptionRepository;
  /** Every version of every exception (written beside `exceptions`, which holds the current ones). */
  readonly exceptionVersions: VersionedRepository<PolicyException>;
  readonly reports: ScanReportRepository;
  readonly layerCache: LayerCacheRepository;
  readonly inventory: InventoryRepository;
  /**
   * Which database this is: an id created once per database (the first caller creates it,
   * racing callers agree on one), and where it is. Two stores are the same exactly when their
   * ids are equal.
   */
  identity(): Promise<StoreIdentity>;
  /** Resolves when the database answers; StoreUnavailableError otherwise (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Clock for createdAt / storedAt / lastUsed stamps (tests pin it). */
  clock?: () => Date;
  /** Size of a report chunk, 1 KiB..15 MiB (default 8 MiB). */
  reportChunkBytes?: number;
  /** Name the connection carries (MongoDB appName). */
  appName?: string;
}

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
      ...(config.MONGO_SERVER_SELECTION_TIMEOUT !== undefined
        ? { serverSelectionTimeoutMS: config.MONGO_SERVER_SELECTION_TIMEOUT }
        : {}),
    });
  }
  const { openSqliteStore } = await import('./sqlite/sqlite-store.ts');
  return openSqliteStore({
    ...options,
    path: config.SQLITE_PATH ?? 'data/assay.db',
    ...(config.SQLITE_BUSY_TIMEOUT !== undefined ? { busyTimeoutMs: config.SQLITE_BUSY_TIMEOUT } : {}),
  });
}
