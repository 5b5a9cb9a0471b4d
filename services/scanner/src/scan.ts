// One image scan: manifest by digest → config (facts, diff_ids) → each layer from the cache or
// streamed once through the analyzers → the final view → a report. The caller (jobs.ts) decides
// what a failure means; `ScanState` keeps what was learnt so a failed scan still leaves a report.
import { randomUUID } from 'node:crypto';
import { licenceFindings, type AnalyzerRegistry } from '@assay/inventory';
import { isImageManifestMediaType, isIndexMediaType, type RegistryClient } from '@assay/registry-client';
import type { LayerCacheRepository, ScanReport } from '@assay/store';
import { finalView, type FinalView } from './final-view.ts';
import { layerHistory, parseImageConfig, type ConfigFacts } from './image-config.ts';
import type { LayerLimits } from './limits.ts';
import { analyzeLayer, WALKER_KEY, WALKER_VERSION, type LayerAnalysis } from './walker.ts';

export interface ScanTarget {
  registry: string;
  repository: string;
  digest: string;
  tag?: string | undefined;
  mediaType?: string | undefined;
  platform?: { os: string; architecture: string; variant?: string | undefined } | undefined;
}

export interface ScanProgressUpdate {
  digest: string;
  stage: string;
  layersDone: number;
  layersTotal: number;
  bytesDone: number;
}

export interface ScanCounters {
  /** Layer blobs fetched from a registry. */
  blobFetches: number;
  layersWalked: number;
  layersCached: number;
}

export interface ScannerDeps {
  analyzers: AnalyzerRegistry;
  clientFor(registry: string): RegistryClient;
  layerCache?: LayerCacheRepository | undefined;
  limits: LayerLimits;
  onProgress?: (p: ScanProgressUpdate) => void;
  counters?: ScanCounters;
  /** Recoverable problems (a cache write failing). */
  warn?: (msg: string, err?: unknown) => void;
}

export interface LayerRecord {
  digest: string;
  diffId?: string;
  size: number;
  mediaType: string;
  createdBy?: string;
  cached: boolean;
  entries?: number;
  inflatedBytes?: number;
  compression?: string;
}

/** What a scan has learnt so far (complete when it succeeds). */
export interface ScanState {
  readonly reportId: string;
  readonly startedAt: Date;
  manifestMediaType?: string;
  config?: ConfigFacts;
  layers: LayerRecord[];
  analyses: LayerAnalysis[];
  view?: FinalView;
  warnings: string[];
}

export function newScanState(): ScanState {
  return { reportId: randomUUID(), startedAt: new Date(), layers: [], analyses: [], warnings: [] };
}

/** The manifest is an index: its per-platform manifests are scanned instead. */
export class IndexManifestError extends Error {
  readonly manifests: { digest: string; mediaType: string; platform?: { os: string; architecture: string; variant?: string } }[];
  constructor(digest: string, manifests: IndexManifestError['manifests']) {
    super(`${digest} is an image index`);
    this.name = 'IndexManifestError';
    this.manifests = manifests;
  }
}

/** The image cannot be scanned as it is (not an image manifest, a config that is not one). */
export class UnscannableImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnscannableImageError';
  }
}

export function analyzerVersionsOf(analyzers: AnalyzerRegistry): Record<string, number> {
  return Object.fromEntries(Object.entries({ ...analyzers.versions(), [WALKER_KEY]: WALKER_VERSION }).sort(([a], [b]) => a.localeCompare(b)));
}

const LAYER_MEDIA = /(tar|layer)/i;
const CONFIG_MAX_BYTES = 8 * 1024 * 1024;

interface ManifestJson {
  config?: { digest?: string; size?: number; mediaType?: string };
  layers?: { digest?: string; size?: number; mediaType?: string }[];
  annotations?: Record<string, string>;
  manifests?: { digest: string; mediaType: string; platform?: { os: string; architecture: string; variant?: string }; annotations?: Record<string, string> }[];
}

/** Scans one image manifest; fills `state` as it goes. */
export async function scanImage(deps: ScannerDeps, target: ScanTarget, state: ScanState, signal?: AbortSignal): Promise<ScanState> {
  const client = deps.clientFor(target.registry);
  const versions = analyzerVersionsOf(deps.analyzers);
  const progress = (stage: string, bytesDone = 0) =>
    deps.onProgress?.({ digest: target.digest, stage, layersDone: state.layers.length, layersTotal: layersTotal, bytesDone });
  let layersTotal = 0;
  progress('manifest');

  const manifest = await client.getManifest(target.repository, target.digest, signal ? { signal } : {});
  state.manifestMediaType = manifest.mediaType;
  const mj = manifest.json as ManifestJson;
  if (isIndexMediaType(manifest.mediaType)) {
    const children = (mj.manifests ?? [])
      .filter((m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest')
      .filter((m) => !(m.platform?.os === 'unknown' && m.platform.architecture === 'unknown'))
      .map((m) => ({ digest: m.digest, mediaType: m.mediaType, ...(m.platform ? { platform: m.platform } : {}) }));
    throw new IndexManifestError(target.digest, children);
  }
  if (!isImageManifestMediaType(manifest.mediaType)) throw new UnscannableImageError(`${target.digest} is a ${manifest.mediaType}, not an image manifest`);
  const configDigest = mj.config?.digest;
  if (!configDigest) throw new UnscannableImageError(`manifest ${target.digest} has no config`);
  const layers = (mj.layers ?? []).map((l, i) => {
    if (typeof l.digest !== 'string' || typeof l.size !== 'number') throw new UnscannableImageError(`manifest ${target.digest}: layer ${i} has no digest or size`);
    return { digest: l.digest, size: l.size, mediaType: l.mediaType ?? '' };
  });
  layersTotal = layers.length;

  progress('config');
  const configBytes = await client.blobBuffer(target.repository, configDigest, {
    maxBytes: CONFIG_MAX_BYTES,
    ...(mj.config?.size !== undefined ? { expectedSize: mj.config.size } : {}),
    ...(signal ? { signal } : {}),
  });
  let parsed;
  try {
    parsed = parseImageConfig(configBytes, mj.annotations ?? {});
  } catch (err) {
    throw new UnscannableImageError(`config ${configDigest}: ${(err as Error).message}`);
  }
  state.config = parsed.facts;
  const history = layerHistory(parsed.facts, layers.length);
  if (parsed.diffIds.length !== 0 && parsed.diffIds.length !== layers.length) {
    throw new UnscannableImageError(`config ${configDigest} names ${parsed.diffIds.length} diff_ids for ${layers.length} layers`);
  }

  let os = undefined as LayerAnalysis['os'];
  for (const [i, layer] of layers.entries()) {
    const diffId = parsed.diffIds[i];
    const record: LayerRecord = {
      digest: layer.digest,
      ...(diffId ? { diffId } : {}),
      size: layer.size,
      mediaType: layer.mediaType,
      ...(history[i] ? { createdBy: history[i] } : {}),
      cached: false,
    };
    if (layer.mediaType !== '' && !LAYER_MEDIA.test(layer.mediaType)) {
      state.warnings.push(`layer ${layer.digest}: media type ${layer.mediaType} is not a filesystem layer; not analysed`);
      state.layers.push(record);
      continue;
    }
    // Keyed by the layer (blob) digest, which the manifest digest chain verifies: a cache hit
    // can never be claimed by an image for bytes it does not have.
    let analysis: LayerAnalysis | undefined;
    // What an analyzer makes of a layer may depend on the OS found below it (the distro of a
    // deb purl): that OS is part of the key too. A base layer (nothing below) has none.
    const cacheVersions = os ? { ...versions, [`lower-os:${os.family}:${os.name}`.slice(0, 100)]: 0 } : versions;
    if (deps.layerCache) {
      try {
        const hit = await deps.layerCache.get(layer.digest, cacheVersions);
        if (hit) analysis = hit.analysis as unknown as LayerAnalysis;
      } catch (err) {
        deps.warn?.(`layer cache read of ${layer.digest} failed`, err);
      }
    }
    if (analysis) {
      record.cached = true;
      if (deps.counters) deps.counters.layersCached++;
    } else {
      if (deps.counters) deps.counters.blobFetches++;
      const blob = await client.blob(target.repository, layer.digest, { expectedSize: layer.size, ...(signal ? { signal } : {}) });
      const walked = await analyzeLayer(blob, deps.analyzers, {
        layerDigest: layer.digest,
        expectedDiffId: diffId,
        os,
        limits: deps.limits,
        onProgress: (bytes) => progress('layer', bytes),
        signal,
      });
      analysis = JSON.parse(JSON.stringify(walked)) as LayerAnalysis;
      if (deps.counters) deps.counters.layersWalked++;
      if (deps.layerCache) {
        try {
          await deps.layerCache.put(layer.digest, cacheVersions, analysis as never);
        } catch (err) {
          deps.warn?.(`layer cache write of ${layer.digest} failed`, err);
        }
      }
    }
    if (analysis.os) os = analysis.os;
    record.entries = analysis.entries;
    record.inflatedBytes = analysis.inflatedBytes;
    record.compression = analysis.compression;
    state.analyses.push(analysis);
    state.layers.push(record);
    progress('layer');
  }
  state.view = finalView(state.analyses);
  progress('done');
  return state;
}

const MAX_WARNINGS = 1000;
const MAX_DELETED = 10_000;

function capped(list: string[]): string[] {
  const out = list.slice(0, MAX_WARNINGS).map((w) => (w.length > 1000 ? `${w.slice(0, 997)}...` : w));
  if (list.length > MAX_WARNINGS) out.push(`... and ${list.length - MAX_WARNINGS} more`);
  return out;
}

/** The report of a scan, succeeded (`error` undefined) or failed. */
export function buildReport(target: ScanTarget, versions: Record<string, number>, state: ScanState, error?: string): ScanReport {
  const view = error === undefined ? state.view : undefined;
  const os = view?.os;
  const warnings = [...state.warnings, ...state.analyses.flatMap((a) => a.warnings.map((w) => `layer ${a.layerDigest}: ${w}`))];
  const base = state.config?.baseImage;
  const baseImage = base?.name ?? base?.digest;
  const packages = view?.packages ?? [];
  // Every layer's findings: a secret deleted by an upper layer is still in the image.
  const sensitiveData = error === undefined ? state.analyses.flatMap((a) => a.sensitiveFindings ?? []) : [];
  const licences = licenceFindings(packages);
  const platform = target.platform ? { os: target.platform.os, architecture: target.platform.architecture, ...(target.platform.variant ? { variant: target.platform.variant } : {}) } : undefined;
  const report = {
    reportId: state.reportId,
    image: {
      registry: target.registry,
      repository: target.repository,
      digest: target.digest,
      ...(target.tag ? { tag: target.tag } : {}),
      ...((state.manifestMediaType ?? target.mediaType) ? { mediaType: state.manifestMediaType ?? target.mediaType } : {}),
      ...(platform ? { platform } : {}),
    },
    analyzerVersions: versions,
    scannedAt: new Date(),
    status: error === undefined ? 'succeeded' : 'failed',
    ...(error !== undefined ? { error, errors: [error] } : {}),
    durationMs: Date.now() - state.startedAt.getTime(),
    ...(os ? { os: { family: os.family, name: os.name, version: os.name, ...(os.codename ? { codename: os.codename } : {}), ...(os.eol !== undefined ? { eol: os.eol } : {}) } } : {}),
    ...(baseImage ? { baseImage } : {}),
    layers: state.layers,
    packages,
    vulnerabilities: [],
    sensitiveData,
    licences,
    ...(state.config ? { config: state.config as unknown as Record<string, unknown> } : {}),
    ...(view
      ? {
          deletedFiles: view.deleted.slice(0, MAX_DELETED),
          removedPackageSets: view.removedSets.slice(0, MAX_DELETED),
        }
      : {}),
    warnings: capped(warnings),
    summary: {
      packages: packages.length,
      vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 },
      sensitiveFindings: sensitiveData.length,
      malwareFindings: 0,
      licenceFindings: licences.filter((l) => !l.known).length,
      ...(os ? { os: `${os.family} ${os.name}` } : {}),
      ...(baseImage ? { baseImage } : {}),
    },
  };
  return JSON.parse(JSON.stringify(report), (k, v) => (k === 'scannedAt' && typeof v === 'string' ? new Date(v) : v)) as ScanReport;
}
