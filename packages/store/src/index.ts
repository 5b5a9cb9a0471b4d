// @assay/store: repositories for policies, exceptions, scan reports, the layer analysis cache
// and the image inventory, on MongoDB (production) or embedded SQLite (one machine). The
// documents themselves, their schemas and ValidationError are @assay/domain's.
export { ConflictError, CorruptDocumentError, NotFoundError, SchemaVersionError, StoreError, StoreUnavailableError } from './errors.ts';
export {
  DEFAULT_DATA_DIR,
  mongoUrl,
  storeChecks,
  storeSettings,
  type StoreConfig,
  type StoreSettingsOptions,
  type StoreSettingsShape,
} from './config.ts';
export { allPages, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from './pagination.ts';
export { currentSchemaVersion, schemaVersions, upgradeStored, type StoredDoc, type Upgrader } from './schema-versions.ts';
export {
  buildVersion,
  exceptionVersionKind,
  imagePolicyKind,
  runtimePolicyKind,
  type VersionedKind,
  type VersionedRepository,
  type WriteOptions,
} from './versioned.ts';
export { exceptionCodec, type ExceptionRepository } from './exceptions.ts';
export { DEFAULT_REPORT_CHUNK_BYTES, MAX_REPORT_CHUNK_BYTES, type ScanReportMeta, type ScanReportRepository } from './reports.ts';
export { MAX_LAYER_ANALYSIS_BYTES, type LayerAnalysis, type LayerCacheEntry, type LayerCacheRepository } from './layer-cache.ts';
export { type InventoryFilter, type InventoryRepository, type ScanStatusDetails } from './inventory.ts';
export { type StoreIdentity } from './identity.ts';
export { type Store, type StoreOptions } from './store.ts';
export { openStore, type OpenStoreConfig } from './open-store.ts';
export { openMongoStore, ensureMongoIndexes, MONGO_INDEXES, type MongoStoreOptions } from './mongo/mongo-store.ts';
export { mongoHosts, type MongoConnectionOptions } from './mongo/connection.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export { SQLITE_LAYOUT_VERSION } from './sqlite/database.ts';
