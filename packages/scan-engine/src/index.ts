// @assay/scan-engine: how an image is scanned, stage by stage — manifest (an index or an image),
// config, layers (stream, tar guard, walker, limits, layer cache key), analyzers, final view,
// custom checks, report — with vulnerability matching and the report formats (CycloneDX, SARIF)
// beside it. No bus, no store: the scanner service and the CLI drive it.
export { defaultAnalyzerRegistry } from './analyzers.ts';
export { analyzerVersionsOf, layerCacheVersions, reportVersions, type LayerCacheVersions, type Versions } from './cache-keys.ts';
export { finalView, type DeletedFile, type FinalView } from './final-view.ts';
export {
  FILESYSTEM_MEDIA_TYPES,
  FILESYSTEM_REGISTRY,
  filesystemRepository,
  scanFilesystem,
  type FilesystemMode,
  type FilesystemScanDeps,
} from './filesystem.ts';
export type { ImageConfigStep } from './config.ts';
export { ImageConfigError, parseImageConfig, type ConfigFacts, type HistoryFact, type ParsedImageConfig } from './image-config.ts';
export {
  streamLayer,
  type Compression,
  type EntryHandler,
  type EntryType,
  type LayerEntryHeader,
  type LayerStreamOptions,
  type LayerStreamResult,
} from './layer-stream.ts';
export type { LayerCache, LayersContext } from './layers.ts';
export { DEFAULT_LIMITS, formatBytes, GiB, LayerFormatError, LayerLimitError, MiB, type LayerLimits } from './limits.ts';
export type { MalwareContext, MalwareOptions, MalwareStep } from './malware.ts';
export { UnscannableImageError, type ManifestLayer, type ManifestStep, type PlatformManifest } from './manifest.ts';
export { findingsOf, matchReport, NO_DB_WARNING, osOfReport, toVulnerability, withFindings, withOsEol } from './matching.ts';
export { cleanPath, type CleanPath, type Whiteout } from './paths.ts';
export { buildReport, MALWARE_DISABLED_WARNING } from './report.ts';
export { scanImage, type ScannerDeps, type ScanResult } from './scan.ts';
export {
  newScanState,
  type BlobSource,
  type LayerRecord,
  type Platform,
  type ScanCounters,
  type ScanProgressUpdate,
  type ScanState,
  type ScanTarget,
} from './state.ts';
export { analyzeLayer, WALKER_KEY, type CheckFileRecord, type LayerAnalysis, type LayerMalware, type WalkOptions } from './walker.ts';
export { toCycloneDx } from './report-formats/cyclonedx.ts';
export {
  pathToUri,
  SARIF_VERSION,
  toSarif,
  type SarifDriver,
  type SarifLevel,
  type SarifLocation,
  type SarifLog,
  type SarifOptions,
  type SarifResult,
  type SarifRule,
  type SarifRun,
} from './report-formats/sarif.ts';
