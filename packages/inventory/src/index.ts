// @assay/inventory: what is in an image — analyzers, OS detection, package parsers, purls.

// The analyzer contract (Trivy's): what an analyzer sees and finds, and the registry that runs them.
export {
  AnalyzerRegistry,
  DEFAULT_MAX_FILE_SIZE,
  // What an analyzer is,
  type Analyzer,
  type FileAnalyzer,
  type GroupAnalyzer,
  // what it is given,
  type FileInfo,
  type AnalysisFile,
  type VirtualFs,
  type LayerContext,
  // and what it finds.
  type AnalysisResult,
  type OsInfo,
  type Package,
  type PackageSet,
  type SensitiveFinding,
} from './analyzer.ts';
export { parsePurl, purl, type PurlParts } from './purl.ts';

// The analyzers a scan runs, by family, and the parsers callers use on their own.
export { defaultAnalyzers } from './default-analyzers.ts';
export { detectOs, osReleaseAnalyzer, parseOsRelease, type DetectedOs } from './os/index.ts';
export { debFullVersion, osAnalyzers, parseApkInstalled, parseDpkgStatus, virtualFs, type PackageDbContents } from './ospkg/index.ts';
export { withOsPurl } from './ospkg/common.ts';
export { languageAnalyzers } from './lang/index.ts';
export {
  BUILTIN_ALLOW_RULES,
  BUILTIN_RULES,
  scanSecrets,
  secretAnalyzer,
  type SecretMatch,
  type SecretScannerConfig,
} from './secrets/index.ts';

// What the report says beyond packages: licences, the base image, custom checks.
export {
  licenceCategory,
  licenceFindings,
  normaliseLicence,
  type LicenceCategory,
  type LicenceFinding,
  type NormalisedLicence,
} from './licences/index.ts';
export {
  BASE_DIGEST_ANNOTATION,
  BASE_NAME_ANNOTATION,
  baseAnnotation,
  identifyBaseImage,
  type BaseImageMatch,
  type ImageLayers,
  type RegisteredBaseImage,
} from './base-image/index.ts';
export {
  DEFAULT_CONTENT_BYTES,
  evaluateChecks,
  InvalidCheckError,
  parseCheck,
  parseChecks,
  type CheckDefinition,
  type CheckFilesystem,
  type CheckInput,
  type CheckResult,
  type ImageConfigFacts,
} from './checks/index.ts';
