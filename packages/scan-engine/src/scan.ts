// One image scan, stage by stage: manifest by digest (manifest.ts: an index is answered as such)
// → config (config.ts: facts, diff_ids) → clamd asked first when configured (malware.ts)
// → each layer from the cache or streamed once through the analyzers (layers.ts) → the final
// view (final-view.ts), custom checks (checks.ts), base image. The report is built from the
// state by report.ts. `ScanState` keeps what was learnt, so a failed scan still leaves a report;
// the caller decides what a failure means.
import { identifyBaseImage, type AnalyzerRegistry, type CheckDefinition, type RegisteredBaseImage } from '@assay/inventory';
import { layerCacheVersions } from './cache-keys.ts';
import { checkPathsOf, runChecks } from './checks.ts';
import { finalView } from './final-view.ts';
import { readImageConfig } from './config.ts';
import { analyzeLayers, type LayerCache } from './layers.ts';
import type { LayerLimits } from './limits.ts';
import { prepareMalware, type MalwareOptions } from './malware.ts';
import { readManifest, type PlatformManifest } from './manifest.ts';
import type { BlobSource, ScanCounters, ScanProgressUpdate, ScanState, ScanTarget } from './state.ts';

export interface ScannerDeps {
  analyzers: AnalyzerRegistry;
  clientFor(registry: string): BlobSource;
  layerCache?: LayerCache | undefined;
  limits: LayerLimits;
  onProgress?: (p: ScanProgressUpdate) => void;
  counters?: ScanCounters;
  /** Recoverable problems (a cache write failing). */
  warn?: (msg: string, err?: unknown) => void;
  /** clamd for malware scanning; undefined = disabled (the report says so). */
  malware?: MalwareOptions | undefined;
  /** How the report says malware scanning is disabled; MALWARE_DISABLED_WARNING (the scanner's setting) by default. */
  malwareDisabledWarning?: string;
  /** Custom compliance checks (validated). */
  checks?: readonly CheckDefinition[] | undefined;
  /** Registered base images, matched by layer chain. */
  baseImages?: readonly RegisteredBaseImage[] | undefined;
}

/** An index is no image: its platform manifests are scanned instead. An image: `state` is complete. */
export type ScanResult = { kind: 'index'; mediaType: string; manifests: PlatformManifest[] } | { kind: 'image'; state: ScanState };

/** Scans one manifest; fills `state` as it goes. */
export async function scanImage(deps: ScannerDeps, target: ScanTarget, state: ScanState, signal?: AbortSignal): Promise<ScanResult> {
  const client = deps.clientFor(target.registry);
  let layersTotal = 0;
  const progress = (stage: string, bytesDone = 0) =>
    deps.onProgress?.({ digest: target.digest, stage, layersDone: state.layers.length, layersTotal, bytesDone });
  state.malwareEnabled = deps.malware !== undefined;
  if (deps.malwareDisabledWarning !== undefined) state.malwareDisabledWarning = deps.malwareDisabledWarning;
  progress('manifest');

  const manifest = await readManifest(client, target, state, signal);
  if (manifest.kind === 'index') return manifest;
  layersTotal = manifest.layers.length;

  progress('config');
  const config = await readImageConfig(client, target, manifest, state, signal);
  const common = { client, target, limits: deps.limits, counters: deps.counters, signal };
  const malware = deps.malware ? await prepareMalware(deps.malware, common, state) : undefined;
  const checkPaths = checkPathsOf(deps.checks ?? []);

  await analyzeLayers(
    {
      ...common,
      analyzers: deps.analyzers,
      key: layerCacheVersions(deps.analyzers, { clamdVersion: malware?.version, checkPaths }),
      layerCache: deps.layerCache,
      malware,
      checkPaths,
      progress: (bytes) => progress('layer', bytes),
      warn: deps.warn,
    },
    manifest.layers,
    config,
    state,
  );

  state.view = finalView(state.analyses);
  state.checks = runChecks(deps.checks ?? [], state.analyses, state.config, state.view.packages);
  const layers = state.layers.map((l) => ({ digest: l.digest, ...(l.diffId ? { diffId: l.diffId } : {}) }));
  const match = identifyBaseImage({ layers, annotations: manifest.annotations, configLabels: config.facts.labels }, deps.baseImages ?? []);
  if (match) state.baseImageMatch = match;
  progress('done');
  return { kind: 'image', state };
}
