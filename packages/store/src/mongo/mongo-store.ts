// The MongoDB store, on the official driver.
//
// Command boundary. The adapter uses only these server commands, which a standalone mongod,
// a replica set and the test stand-in all support:
//   hello/ping (connect, ping()), createIndexes (start-up), insert, find/getMore/killCursors,
//   update (replacement documents; $max), delete, findAndModify (replace / update / remove,
//   returning the document before or after), distinct, aggregate ($match $sort $group $limit).
// No transactions, sessions beyond the driver's implicit ones, change streams, $lookup or
// array filters. Atomicity comes from single-document writes and unique indexes instead:
//   - policy versions: insert-if-absent on the unique (id, version) index; a lost race is E11000;
//   - reports: chunks under a fresh generation id, then one findAndModify switches the head;
//   - inventory: compare-and-set on a revision field, retried;
//   - exceptions, layer cache: one document each, `_id` = natural key.
// retryWrites is set (on a replica set it makes a write survive a failover); a standalone
// server has no retryable writes and the driver then simply does not retry.
import type { Db, IndexDescription, MongoClient } from 'mongodb';
import { EXCEPTIONS } from '../exceptions.ts';
import { INVENTORY } from '../inventory.ts';
import { LAYER_CACHE } from '../layer-cache.ts';
import { checkChunkBytes, DEFAULT_REPORT_CHUNK_BYTES, REPORT_CHUNKS, REPORTS } from '../reports.ts';
import type { Store, StoreOptions } from '../store.ts';
import { repositories } from '../repositories.ts';
import { exceptionVersionKind, imagePolicyKind, runtimePolicyKind } from '../versioned.ts';
import { connectMongo, mongoHosts, translateMongoError, unavailable, type MongoConnectionOptions } from './connection.ts';
import { mongoExceptionRepository } from './exceptions.ts';
import { readMongoIdentity } from './identity.ts';
import { mongoInventoryRepository } from './inventory.ts';
import { mongoLayerCacheRepository } from './layer-cache.ts';
import { mongoVersionedRepository } from './versioned.ts';
import { mongoReportRepository } from './reports.ts';

export interface MongoStoreOptions extends MongoConnectionOptions, StoreOptions {}

/**
 * Indexes created at start (idempotent). `_id` already makes exception ids, report digests,
 * layer cache keys and inventory digests unique.
 */
export const MONGO_INDEXES: Record<string, IndexDescription[]> = {
  [imagePolicyKind.collection]: [{ key: { id: 1, version: 1 }, name: 'id_version', unique: true }],
  [runtimePolicyKind.collection]: [{ key: { id: 1, version: 1 }, name: 'id_version', unique: true }],
  [exceptionVersionKind.collection]: [{ key: { id: 1, version: 1 }, name: 'id_version', unique: true }],
  [EXCEPTIONS]: [{ key: { expiresAt: 1, _id: 1 }, name: 'expiresAt_id' }],
  [REPORTS]: [
    { key: { reportId: 1 }, name: 'reportId', unique: true },
    { key: { 'storage.generation': 1 }, name: 'generation' },
  ],
  [REPORT_CHUNKS]: [
    { key: { generation: 1, n: 1 }, name: 'generation_n', unique: true },
    { key: { createdAt: 1 }, name: 'createdAt' },
  ],
  [LAYER_CACHE]: [{ key: { lastUsed: 1 }, name: 'lastUsed' }],
  [INVENTORY]: [
    { key: { locationKeys: 1, _id: 1 }, name: 'locationKeys_id' },
    { key: { registries: 1, _id: 1 }, name: 'registries_id' },
    // Only images still waiting on a scan: the "what is left to scan" query stays small.
    {
      key: { scanStatus: 1, _id: 1 },
      name: 'scanStatus_open',
      partialFilterExpression: { scanStatus: { $in: ['pending', 'scanning', 'failed'] } },
    },
  ],
};

export async function ensureMongoIndexes(db: Db): Promise<void> {
  for (const [collection, indexes] of Object.entries(MONGO_INDEXES)) {
    await db.collection(collection).createIndexes(indexes);
  }
}

export async function openMongoStore(o: MongoStoreOptions): Promise<Store & { readonly client: MongoClient; readonly db: Db }> {
  const chunkBytes = checkChunkBytes(o.reportChunkBytes ?? DEFAULT_REPORT_CHUNK_BYTES);
  const now = o.clock ?? (() => new Date());
  const hosts = mongoHosts(o.url);
  const client = await connectMongo(o);
  const db = client.db(o.dbName);
  try {
    await ensureMongoIndexes(db);
  } catch (err) {
    await client.close().catch(() => {});
    throw translateMongoError(hosts, err);
  }
  return {
    kind: 'mongodb',
    client,
    db,
    // Network failures surface as StoreUnavailableError naming the host.
    ...repositories(
      {
        versioned: (kind) => mongoVersionedRepository(db, kind, now),
        exceptions: () => mongoExceptionRepository(db),
        reports: () => mongoReportRepository(db, now, chunkBytes),
        layerCache: () => mongoLayerCacheRepository(db, now),
        inventory: () => mongoInventoryRepository(db),
      },
      (err) => translateMongoError(hosts, err),
    ),
    async identity() {
      try {
        return await readMongoIdentity(db, `${hosts}/${o.dbName}`, now);
      } catch (err) {
        throw translateMongoError(hosts, err);
      }
    },
    async ping() {
      try {
        await db.command({ ping: 1 });
      } catch (err) {
        throw unavailable(hosts, err);
      }
    },
    close: () => client.close(),
  };
}
