// The layers stage: each layer of the image, lowest first, from the layer cache or streamed
// once through the analyzers (walker.ts), with its malware verdict (malware.ts). What the layers
// below found (their OS) is handed up, and is part of the cache key (cache-keys.ts).
import type { AnalyzerRegistry, OsInfo } from '@assay/inventory';
import type { LayerCacheVersions, Versions } from './cache-keys.ts';
import type { LayerLimits } from './limits.ts';
import type { ManifestLayer } from './manifest.ts';
import type { MalwareStep } from './malware.ts';
import type { BlobSource, LayerRecord, ScanCounters, ScanState, ScanTarget } from './state.ts';
import { analyzeLayer, type LayerAnalysis } from './walker.ts';

/** Where per-layer analyses are kept between scans (the store's layer cache fits). */
export interface LayerCache {
  get(layerDigest: string, versions: Versions): Promise<{ analysis: unknown } | undefined>;
  put(layerDigest: string, versions: Versions, analysis: never): Promise<unknown>;
}

export interface LayersContext {
  client: BlobSource;
  target: ScanTarget;
  analyzers: AnalyzerRegistry;
  limits: LayerLimits;
  key: LayerCacheVersions;
  layerCache?: LayerCache | undefined;
  malware?: MalwareStep | undefined;
  /** Paths custom checks name → bytes of content they read. */
  checkPaths: ReadonlyMap<string, number>;
  counters?: ScanCounters | undefined;
  signal?: AbortSignal | undefined;
  /** Inflated bytes of the layer being walked, now and then; and once after each layer. */
  progress(bytesDone?: number): void;
  warn?: ((msg: string, err?: unknown) => void) | undefined;
}

const LAYER_MEDIA = /(tar|layer)/i;

/** Analyses every layer into `state` (records and analyses, in layer order). */
export async function analyzeLayers(
  ctx: LayersContext,
  layers: readonly ManifestLayer[],
  config: { diffIds: readonly string[]; history: readonly (string | undefined)[] },
  state: ScanState,
): Promise<void> {
  let os: OsInfo | undefined;
  for (const [i, layer] of layers.entries()) {
    const diffId = config.diffIds[i];
    const record: LayerRecord = {
      digest: layer.digest,
      ...(diffId ? { diffId } : {}),
      size: layer.size,
      mediaType: layer.mediaType,
      ...(config.history[i] ? { createdBy: config.history[i] } : {}),
      cached: false,
    };
    if (layer.mediaType !== '' && !LAYER_MEDIA.test(layer.mediaType)) {
      state.warnings.push(`layer ${layer.digest}: media type ${layer.mediaType} is not a filesystem layer; not analysed`);
      state.layers.push(record);
      continue;
    }
    const versions = ctx.key.forLayer(os);
    let analysis = await cached(ctx, layer.digest, versions);
    if (analysis) {
      if (ctx.malware && (!analysis.malware || !ctx.malware.verdictsCacheable)) {
        // The analysis is reused, the verdict is not (see verdictsCacheable): the blob is fetched again for clamd.
        analysis.malware = await ctx.malware.scanLayer(layer, undefined, analysis.inflatedBytes);
      }
      record.cached = true;
      if (ctx.counters) ctx.counters.layersCached++;
    } else {
      analysis = await walk(ctx, layer, diffId, os);
      if (ctx.counters) ctx.counters.layersWalked++;
      await store(ctx, layer.digest, versions, analysis);
    }
    if (analysis.os) os = analysis.os;
    record.entries = analysis.entries;
    record.inflatedBytes = analysis.inflatedBytes;
    record.compression = analysis.compression;
    state.analyses.push(analysis);
    state.layers.push(record);
    ctx.progress();
  }
}

/** A cached analysis; a cache that cannot be read costs a warning and a walk, never the scan. */
async function cached(ctx: LayersContext, digest: string, versions: Versions): Promise<LayerAnalysis | undefined> {
  if (!ctx.layerCache) return undefined;
  try {
    const hit = await ctx.layerCache.get(digest, versions);
    return hit ? (hit.analysis as LayerAnalysis) : undefined;
  } catch (err) {
    ctx.warn?.(`layer cache read of ${digest} failed`, err);
    return undefined;
  }
}

async function store(ctx: LayersContext, digest: string, versions: Versions, analysis: LayerAnalysis): Promise<void> {
  if (!ctx.layerCache) return;
  try {
    await ctx.layerCache.put(digest, versions, analysis as never);
  } catch (err) {
    ctx.warn?.(`layer cache write of ${digest} failed`, err);
  }
}

/** Fetches the blob and walks it through the analyzers (and clamd). */
async function walk(ctx: LayersContext, layer: ManifestLayer, diffId: string | undefined, os: OsInfo | undefined): Promise<LayerAnalysis> {
  if (ctx.counters) ctx.counters.blobFetches++;
  const { signal } = ctx;
  const blob = await ctx.client.blob(ctx.target.repository, layer.digest, { expectedSize: layer.size, ...(signal ? { signal } : {}) });
  // The malware tee: the inflated tar is kept while it fits one clamd stream (at most
  // CLAMD_MAX_STREAM bytes per scan in flight), so a layer that fits is sent whole after the
  // walk with no second fetch; a larger one is dropped at once and fetched again per file.
  const malware = ctx.malware;
  let tee: Buffer[] | undefined = malware ? [] : undefined;
  let teeBytes = 0;
  const walked = await analyzeLayer(blob, ctx.analyzers, {
    layerDigest: layer.digest,
    expectedDiffId: diffId,
    os,
    limits: ctx.limits,
    onProgress: (bytes) => ctx.progress(bytes),
    signal,
    ...(ctx.checkPaths.size > 0 ? { checkPaths: ctx.checkPaths } : {}),
    ...(malware
      ? {
          onInflated: (chunk: Buffer) => {
            if (!tee) return;
            teeBytes += chunk.length;
            if (teeBytes > malware.maxStreamBytes) tee = undefined;
            else tee.push(chunk);
          },
        }
      : {}),
  });
  // Plain JSON, as the cache stores it (and as a cache hit would give it back).
  const analysis = JSON.parse(JSON.stringify(walked)) as LayerAnalysis;
  if (malware) {
    const whole = tee ? Buffer.concat(tee) : undefined;
    tee = undefined;
    analysis.malware = await malware.scanLayer(layer, whole, walked.inflatedBytes);
  }
  return analysis;
}
