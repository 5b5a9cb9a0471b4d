// Layer analysis cache on MongoDB: `_id` is the cache key (layer digest + analyzer versions),
// the analysis is kept gzipped as binary (well under 16 MB), and a hit refreshes lastUsed in the
// same findAndModify that reads it.
import { Binary, type Db } from 'mongodb';
import { timestamp, validate } from '@assay/domain';
import type { KeyedDoc } from './connection.ts';
import { checkKey, LAYER_CACHE, packLayerEntry, unpackLayerEntry, type LayerCacheRepository } from '../layer-cache.ts';

export function mongoLayerCacheRepository(db: Db, now: () => Date): LayerCacheRepository {
  const col = db.collection<KeyedDoc>(LAYER_CACHE);
  return {
    async get(layerDigest, analyzerVersions) {
      const key = checkKey(layerDigest, analyzerVersions);
      const doc = await col.findOneAndUpdate({ _id: key }, { $max: { lastUsed: now() } }, { returnDocument: 'after' });
      if (!doc) return undefined;
      const { _id, analysis, ...head } = doc;
      return unpackLayerEntry(head, (analysis as Binary).buffer, key);
    },
    async has(layerDigest, analyzerVersions) {
      const key = checkKey(layerDigest, analyzerVersions);
      return (await col.findOne({ _id: key }, { projection: { _id: 1 } })) !== null;
    },
    async put(layerDigest, analyzerVersions, analysis) {
      const packed = await packLayerEntry(layerDigest, analyzerVersions, analysis, now());
      await col.replaceOne(
        { _id: packed.key },
        { _id: packed.key, ...packed.head, analysis: new Binary(packed.compressed) },
        { upsert: true },
      );
      return packed.entry;
    },
    async delete(layerDigest, analyzerVersions) {
      const key = checkKey(layerDigest, analyzerVersions);
      return (await col.deleteOne({ _id: key })).deletedCount === 1;
    },
    async evict(lastUsedBefore) {
      validate(timestamp, lastUsedBefore, 'lastUsedBefore');
      return (await col.deleteMany({ lastUsed: { $lt: lastUsedBefore } })).deletedCount;
    },
  };
}
