// @assay/store: repositories for policies, exceptions, scan reports, the layer analysis cache
// and the image inventory, on MongoDB (production) or embedded SQLite (one machine).
export * from './errors.ts';
export * from './config.ts';
export * from './pagination.ts';
export {
  currentSchemaVersion,
  schemaVersions,
  upgradeStored,
  type StoredDoc,
  type Upgrader,
} from './schema-versions.ts';
export * from './analyzer-versions.ts';
export * from './policies.ts';
export * from './exceptions.ts';
export * from './reports.ts';
export * from './layer-cache.ts';
export * from './inventory.ts';
export * from './identity.ts';
export * from './store.ts';
export { openMongoStore, ensureMongoIndexes, MONGO_INDEXES, type MongoStoreOptions } from './mongo/mongo-store.ts';
export { mongoHosts, type MongoConnectionOptions } from './mongo/connection.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.ts';
export { SQLITE_LAYOUT_VERSION } from './sqlite/database.ts';
