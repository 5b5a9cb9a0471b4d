// Layer analysis cache on SQLite: key column = cache key; last_used is the column of record
// (refreshed on each hit, read back into the entry).
import { timestamp, validate } from '@assay/domain';
import { checkKey, packLayerEntry, unpackLayerEntry, type LayerCacheRepository } from '../layer-cache.ts';
import { fromJson, toJson, type SqliteHandle } from './database.ts';

interface Row {
  key: string;
  last_used: number;
  head: string;
  analysis: Uint8Array;
}

export function sqliteLayerCacheRepository(h: SqliteHandle, now: () => Date): LayerCacheRepository {
  const touch = h.db.prepare('UPDATE layer_cache SET last_used = max(last_used, ?) WHERE key = ?');
  const one = h.db.prepare('SELECT key, last_used, head, analysis FROM layer_cache WHERE key = ?');
  const exists = h.db.prepare('SELECT 1 AS hit FROM layer_cache WHERE key = ?');
  const upsert = h.db.prepare(
    `INSERT INTO layer_cache (key, last_used, head, analysis) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET last_used = excluded.last_used, head = excluded.head, analysis = excluded.analysis`,
  );
  const del = h.db.prepare('DELETE FROM layer_cache WHERE key = ?');
  const evict = h.db.prepare('DELETE FROM layer_cache WHERE last_used < ?');

  return {
    async get(layerDigest, analyzerVersions) {
      const key = checkKey(layerDigest, analyzerVersions);
      const row = h.write(() => {
        touch.run(now().getTime(), key);
        return one.get(key) as Row | undefined;
      });
      if (!row) return undefined;
      const head = { ...fromJson(row.head, key), lastUsed: new Date(row.last_used) };
      return unpackLayerEntry(head, row.analysis, key);
    },
    async has(layerDigest, analyzerVersions) {
      return exists.get(checkKey(layerDigest, analyzerVersions)) !== undefined;
    },
    async put(layerDigest, analyzerVersions, analysis) {
      const packed = await packLayerEntry(layerDigest, analyzerVersions, analysis, now());
      h.write(() => upsert.run(packed.key, packed.entry.lastUsed.getTime(), toJson(packed.head), packed.compressed));
      return packed.entry;
    },
    async delete(layerDigest, analyzerVersions) {
      const key = checkKey(layerDigest, analyzerVersions);
      return Number(h.write(() => del.run(key).changes)) === 1;
    },
    async evict(lastUsedBefore) {
      validate(timestamp, lastUsedBefore, 'lastUsedBefore');
      return Number(h.write(() => evict.run(lastUsedBefore.getTime()).changes));
    },
  };
}
