// One image scan: manifest by digest → config (facts, diff_ids) → each layer from the cache or
// streamed once through the analyzers (and clamd, see scanMalware) → the final view, custom
// checks, base image → a report. The caller (jobs.ts) decides what a failure means; `ScanState`
// keeps what was learnt so a failed scan still leaves a report.
import { createHash, randomUUID } from 'node:crypto';
import { createMalwareScanner, type ClamdClient, type MalwareScanner } from '@assay/clamav';
import { identifyBaseImage, licenceFindings, type AnalyzerRegistry, type BaseImageMatch, type CheckDefinition, type CheckResult, type RegisteredBaseImage } from '@assay/inventory';
import { isImageManifestMediaType, isIndexMediaType, type RegistryClient } from '@assay/registry-client';
import type { LayerCacheRepository, ScanReport } from '@assay/store';
import { checkPathsKey, checkPathsOf, runChecks } from './checks.ts';
import { finalView, type FinalView } from './final-view.ts';
import { inflateLayer } from './layer-stream.ts';
import { layerHistory, parseImageConfig, type ConfigFacts } from './image-config.ts';
import type { LayerLimits } from './limits.ts';
import { analyzeLayer, WALKER_KEY, WALKER_VERSION, type LayerAnalysis, type LayerMalware } from './walker.ts';

/** The report's warning when no clamd is configured: malware was not looked for, so nothing is claimed. */
export const MALWARE_DISABLED_WARNING = 'malware scanning disabled (CLAMD_ADDRESS unset)';

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
  /** clamd for malware scanning; undefined = disabled (the report says so). */
  malware?: { client: ClamdClient; maxStreamBytes: number } | undefined;
  /** Custom compliance checks (validated). */
  checks?: readonly CheckDefinition[] | undefined;
  /** Registered base images, matched by layer chain. */
  baseImages?: readonly RegisteredBaseImage[] | undefined;
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
  /** Whether CLAMD_ADDRESS is set (a failed scan then must not say "disabled"). */
  malwareEnabled?: boolean;
  /** clamd's VERSION reply once asked. */
  malwareDb?: string;
  checks?: CheckResult[];
  baseImageMatch?: BaseImageMatch;
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
  state.malwareEnabled = deps.malware !== undefined;
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

  // clamd is asked first: unreachable fails the scan before any work; its signature version is
  // part of every layer's cache key, so a new database rescans layers instead of reusing verdicts.
  let malware: MalwareScanner | undefined;
  const keyExtras: Record<string, number> = {};
  // A clamd with only custom databases reports no database version: a signature change could
  // not be told from the key, so its verdicts are never reused (cached layers are re-scanned).
  let verdictsCacheable = false;
  if (deps.malware) {
    const v = await deps.malware.client.version();
    state.malwareDb = v.raw;
    verdictsCacheable = v.databaseVersion !== undefined;
    if (!verdictsCacheable) state.warnings.push(`clamd reports no signature database version (${v.raw}): malware verdicts are not cached, every layer is re-scanned`);
    malware = createMalwareScanner({ client: deps.malware.client, maxStreamBytes: deps.malware.maxStreamBytes });
    keyExtras[`clamd:${createHash('sha256').update(v.raw).digest('hex').slice(0, 32)}`] = 0;
  }
  const checkPaths = checkPathsOf(deps.checks ?? []);
  const pathsKey = checkPathsKey(checkPaths);
  if (pathsKey) keyExtras[pathsKey] = 0;

  const scanMalware = async (layer: { digest: string; size: number }, tar: Buffer | undefined, inflatedBytes: number): Promise<LayerMalware> => {
    let r;
    if (tar) r = await malware!.scanLayer(tar, { layerDigest: layer.digest, uncompressedSize: tar.length });
    else {
      // Larger than one INSTREAM, or a cached layer whose verdict cannot be reused: fetch the blob again.
      if (deps.counters) deps.counters.blobFetches++;
      const blob = await client.blob(target.repository, layer.digest, { expectedSize: layer.size, ...(signal ? { signal } : {}) });
      const inflated = await inflateLayer(blob, layer.digest, deps.limits.maxInflatedBytes);
      try {
        r = await malware!.scanLayer(inflated, { layerDigest: layer.digest, uncompressedSize: inflatedBytes });
      } finally {
        inflated.destroy();
      }
    }
    return {
      strategy: r.strategy,
      findings: r.findings.map((f) => ({ name: f.name, path: f.path === '' ? '/' : f.path, layerDigest: layer.digest })),
      skipped: r.skipped.map((k) => ({ path: k.path, size: k.size, reason: k.reason })),
      scanned: r.scanned,
      clamd: r.clamd.raw,
    };
  };

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
    const cacheVersions = { ...versions, ...keyExtras, ...(os ? { [`lower-os:${os.family}:${os.name}`.slice(0, 100)]: 0 } : {}) };
    if (deps.layerCache) {
      try {
        const hit = await deps.layerCache.get(layer.digest, cacheVersions);
        if (hit) analysis = hit.analysis as unknown as LayerAnalysis;
      } catch (err) {
        deps.warn?.(`layer cache read of ${layer.digest} failed`, err);
      }
    }
    if (analysis && malware && (!analysis.malware || !verdictsCacheable)) {
      // The analysis is reused, the verdict is not (see verdictsCacheable): the blob is fetched again for clamd.
      analysis.malware = await scanMalware(layer, undefined, analysis.inflatedBytes);
      record.cached = true;
      if (deps.counters) deps.counters.layersCached++;
    } else if (analysis) {
      record.cached = true;
      if (deps.counters) deps.counters.layersCached++;
    } else {
      if (deps.counters) deps.counters.blobFetches++;
      const blob = await client.blob(target.repository, layer.digest, { expectedSize: layer.size, ...(signal ? { signal } : {}) });
      // The malware tee: the inflated tar is kept while it fits one clamd stream (at most
      // CLAMD_MAX_STREAM bytes per scan in flight), so a layer that fits is sent whole after the
      // walk with no second fetch; a larger one is dropped at once and fetched again per file.
      const maxTee = deps.malware?.maxStreamBytes ?? 0;
      let tee: Buffer[] | undefined = malware ? [] : undefined;
      let teeBytes = 0;
      const walked = await analyzeLayer(blob, deps.analyzers, {
        layerDigest: layer.digest,
        expectedDiffId: diffId,
        os,
        limits: deps.limits,
        onProgress: (bytes) => progress('layer', bytes),
        signal,
        ...(checkPaths.size > 0 ? { checkPaths } : {}),
        ...(tee
          ? {
              onInflated: (chunk: Buffer) => {
                if (!tee) return;
                teeBytes += chunk.length;
                if (teeBytes > maxTee) tee = undefined;
                else tee.push(chunk);
              },
            }
          : {}),
      });
      analysis = JSON.parse(JSON.stringify(walked)) as LayerAnalysis;
      if (malware) {
        const whole = tee ? Buffer.concat(tee) : undefined;
        tee = undefined;
        analysis.malware = await scanMalware(layer, whole, walked.inflatedBytes);
      }
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
  state.checks = runChecks(deps.checks ?? [], state.analyses, state.config, state.view.packages);
  const match = identifyBaseImage(
    { layers: state.layers.map((l) => ({ digest: l.digest, ...(l.diffId ? { diffId: l.diffId } : {}) })), annotations: mj.annotations ?? {}, configLabels: state.config.labels },
    deps.baseImages ?? [],
  );
  if (match) state.baseImageMatch = match;
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
  const match = error === undefined ? state.baseImageMatch : undefined;
  const baseImage = match?.name ?? base?.name ?? base?.digest;
  // Every layer's verdicts: malware deleted by an upper layer is still in the image's blobs.
  const malwareOn = state.malwareDb !== undefined;
  const malware = error === undefined && malwareOn ? state.analyses.flatMap((a) => a.malware?.findings ?? []) : [];
  if (state.malwareEnabled === false) warnings.push(MALWARE_DISABLED_WARNING);
  for (const a of state.analyses) {
    for (const k of a.malware?.skipped ?? []) warnings.push(`layer ${a.layerDigest}: malware: ${k.path} (${k.size} bytes) not scanned: ${k.reason}`);
  }
  const checks = error === undefined ? state.checks : undefined;
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
    ...(match ? { baseImageMatch: match } : {}),
    layers: state.layers,
    packages,
    vulnerabilities: [],
    sensitiveData,
    ...(malwareOn && error === undefined ? { malware } : {}),
    ...(malwareOn ? { malwareDb: state.malwareDb } : {}),
    ...(checks ? { checks } : {}),
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
      malwareFindings: malware.length,
      licenceFindings: licences.filter((l) => !l.known).length,
      ...(os ? { os: `${os.family} ${os.name}` } : {}),
      ...(baseImage ? { baseImage } : {}),
    },
  };
  return JSON.parse(JSON.stringify(report), (k, v) => (k === 'scannedAt' && typeof v === 'string' ? new Date(v) : v)) as ScanReport;
}
