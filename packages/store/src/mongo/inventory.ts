// Image inventory on MongoDB: `_id` is the digest. Changes are read-modify-write with a
// revision check (compare-and-set on `rev`), retried on contention: the merge rules (first/last
// sighting, per-tag times, stale status events) live in one pure function shared with SQLite,
// and no update is lost without needing transactions or array filters.
// `locationKeys` ("registry/repository") and `registries` are derived, indexed copies of
// `locations`, so repository queries are plain equality matches on a multikey index.
import type { Db, Document } from 'mongodb';
import { digest, validate, type ImageRecord } from '@assay/domain';
import type { KeyedDoc } from './connection.ts';
import { StoreError } from '../errors.ts';
import { checkFilter, imageCodec, INVENTORY, inventoryWrites, type InventoryRepository } from '../inventory.ts';
import { isDuplicateKey } from './connection.ts';
import { pageById } from './paging.ts';

const MAX_ATTEMPTS = 100;

export function mongoInventoryRepository(db: Db): InventoryRepository {
  const col = db.collection<KeyedDoc>(INVENTORY);
  const decode = (doc: Document): ImageRecord => {
    const { _id, rev, locationKeys, registries, ...stored } = doc;
    return imageCodec.decode(stored, String(_id));
  };
  const toDoc = (record: ImageRecord, rev: number): KeyedDoc => ({
    _id: record.digest,
    ...imageCodec.encode(record),
    rev,
    locationKeys: record.locations.map((l) => `${l.registry}/${l.repository}`),
    registries: [...new Set(record.locations.map((l) => l.registry))],
  });

  /** Applies `change` atomically per document; `change` returns undefined for "nothing to do". */
  async function modify(d: string, change: (existing: ImageRecord | undefined) => ImageRecord | undefined): Promise<ImageRecord> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const doc = await col.findOne({ _id: d });
      const existing = doc ? decode(doc) : undefined;
      const next = change(existing);
      if (!next) return existing!;
      if (!doc) {
        try {
          await col.insertOne(toDoc(next, 1));
          return next;
        } catch (err) {
          if (isDuplicateKey(err)) continue; // created meanwhile: merge into it
          throw err;
        }
      }
      // Documents written before `rev` existed (schema v1) have none.
      const rev = typeof doc.rev === 'number' ? doc.rev : 0;
      const r = await col.replaceOne({ _id: d, rev: rev === 0 ? { $exists: false } : rev }, toDoc(next, rev + 1));
      if (r.matchedCount === 1) return next;
    }
    throw new StoreError(`inventory ${d}: gave up after ${MAX_ATTEMPTS} concurrent modifications`);
  }

  const repo: InventoryRepository = {
    ...inventoryWrites(modify),
    async get(d) {
      validate(digest, d, 'digest');
      const doc = await col.findOne({ _id: d });
      return doc ? decode(doc) : undefined;
    },
    findByRepository(registry, repository, page) {
      return repo.list({ registry, repository }, page);
    },
    list(filter, page) {
      const f = checkFilter(filter);
      const q: Document = {};
      if (f.repository !== undefined) q.locationKeys = `${f.registry}/${f.repository}`;
      else if (f.registry !== undefined) q.registries = f.registry;
      if (f.scanStatus !== undefined) q.scanStatus = f.scanStatus;
      return pageById(col, q, 'inventory', page, decode);
    },
    async delete(d) {
      validate(digest, d, 'digest');
      return (await col.deleteOne({ _id: d })).deletedCount === 1;
    },
  };
  return repo;
}
