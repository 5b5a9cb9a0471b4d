// Layer analysis cache: the result of analysing one layer with one set of analyzer versions,
// so a base layer shared by many images is analysed once. The key includes the analyzer
// versions, so bumping an analyzer invalidates only results it took part in. `lastUsed` is
// refreshed on every hit; evict() drops entries not used since a given time.
import { z } from '@assay/config';
import {
  analyzerVersionsKey,
  analyzerVersionsSchema,
  digest,
  nonEmpty,
  timestamp,
  validate,
  ValidationError,
  type AnalyzerVersions,
} from '@assay/domain';
import { compressJson, decompressJson } from './compressed-json.ts';
import { defineSchemaVersions, documentCodec } from './schema-versions.ts';

/** What the analyzers found in a layer: any JSON object (the scanner owns its shape). */
export type LayerAnalysis = Record<string, z.core.util.JSONType>;

export const LayerAnalysisSchema = z.record(z.string(), z.json());

/** Compressed analysis bytes per entry; stays below MongoDB's 16 MB document limit. */
export const MAX_LAYER_ANALYSIS_BYTES = 15 * 1024 * 1024;

export interface LayerCacheEntry {
  layerDigest: string;
  analyzerVersions: AnalyzerVersions;
  analysis: LayerAnalysis;
  createdAt: Date;
  lastUsed: Date;
}

export interface LayerCacheRepository {
  /** The cached analysis, refreshing its lastUsed; undefined on a miss. */
  get(layerDigest: string, analyzerVersions: AnalyzerVersions): Promise<LayerCacheEntry | undefined>;
  /** Whether an analysis is cached (does not refresh lastUsed). */
  has(layerDigest: string, analyzerVersions: AnalyzerVersions): Promise<boolean>;
  /** Stores (or replaces) the analysis of a layer for these analyzer versions. */
  put(layerDigest: string, analyzerVersions: AnalyzerVersions, analysis: LayerAnalysis): Promise<LayerCacheEntry>;
  delete(layerDigest: string, analyzerVersions: AnalyzerVersions): Promise<boolean>;
  /** Removes entries last used before `lastUsedBefore`; returns how many. */
  evict(lastUsedBefore: Date): Promise<number>;
}

/** `<layer digest>|<sha256 of the canonical analyzer versions>`: unique per (layer, analyzer versions). */
export function layerCacheKey(layerDigest: string, analyzerVersions: AnalyzerVersions): string {
  return `${layerDigest}|${analyzerVersionsKey(analyzerVersions)}`;
}

export const LAYER_CACHE = 'layerCache';
defineSchemaVersions(LAYER_CACHE, 1);

/** The stored entry without its analysis, which is kept as compressed bytes beside it. */
export const LayerCacheHeadSchema = z.strictObject({
  key: nonEmpty(400),
  layerDigest: digest,
  analyzerVersions: analyzerVersionsSchema,
  createdAt: timestamp,
  lastUsed: timestamp,
  analysisBytes: z.number().int().min(0),
});
export const layerCacheCodec = documentCodec(LAYER_CACHE, 'layerCacheEntry', LayerCacheHeadSchema);

export function checkKey(layerDigest: string, analyzerVersions: AnalyzerVersions): string {
  validate(digest, layerDigest, 'layerDigest');
  validate(analyzerVersionsSchema, analyzerVersions, 'analyzerVersions');
  return layerCacheKey(layerDigest, analyzerVersions);
}

/** Validates an entry to be written and compresses its analysis. */
export async function packLayerEntry(
  layerDigest: string,
  analyzerVersions: AnalyzerVersions,
  analysis: unknown,
  now: Date,
): Promise<{ head: Record<string, unknown>; key: string; compressed: Buffer; entry: LayerCacheEntry }> {
  const key = checkKey(layerDigest, analyzerVersions);
  const parsed = validate(LayerAnalysisSchema, analysis, 'layerAnalysis') as LayerAnalysis;
  const { compressed } = await compressJson(parsed);
  if (compressed.length > MAX_LAYER_ANALYSIS_BYTES) {
    throw new ValidationError([
      {
        path: 'layerAnalysis',
        message: `compresses to ${compressed.length} bytes, more than the ${MAX_LAYER_ANALYSIS_BYTES} a cache entry may hold`,
      },
    ]);
  }
  const head = layerCacheCodec.encode({
    key,
    layerDigest,
    analyzerVersions,
    createdAt: now,
    lastUsed: now,
    analysisBytes: compressed.length,
  });
  return { head, key, compressed, entry: { layerDigest, analyzerVersions, analysis: parsed, createdAt: now, lastUsed: now } };
}

export async function unpackLayerEntry(head: Record<string, unknown>, compressed: Uint8Array, ref: string): Promise<LayerCacheEntry> {
  const h = layerCacheCodec.decode(head, ref);
  const analysis = await decompressJson(compressed, `layer cache entry ${ref}`);
  return {
    layerDigest: h.layerDigest,
    analyzerVersions: h.analyzerVersions,
    analysis: analysis as LayerAnalysis,
    createdAt: h.createdAt,
    lastUsed: h.lastUsed,
  };
}
