// The analyzer contract (Trivy's pattern, pkg/fanal/analyzer): an analyzer names its type and
// version, says which paths it wants (`required`), and analyses what the layer walker hands
// it. One walk of each layer feeds every analyzer; the map of analyzer versions is part of the
// per-layer cache key, so bumping one analyzer's version invalidates only layers it touched.
//
// Two kinds:
//  - a file analyzer sees one file at a time, as the walker reaches it (a Go binary, a jar,
//    an os-release file);
//  - a group analyzer sees, once the layer is walked, a small virtual filesystem of all the
//    files it asked for (a lockfile together with its manifest; dpkg's status with its
//    info/*.list files and copyright files).
// Paths are layer-relative, cleaned, without a leading slash: `var/lib/dpkg/status`.

/** What the walker knows of a file before reading it. */
export interface FileInfo {
  readonly size: number;
  /** Unix permission bits (e.g. 0o755). */
  readonly mode: number;
}

export interface AnalysisFile extends FileInfo {
  readonly path: string;
  readonly content: Buffer;
}

/** Where the analysis happens: which layer of which image. */
export interface LayerContext {
  readonly layerDigest: string;
  readonly diffId?: string;
  /** OS found in lower layers (or this one), when an analyzer's output depends on it. */
  readonly os?: OsInfo;
}

export interface OsInfo {
  /** debian, ubuntu, alpine, redhat, rocky, alma, centos, amazon, suse (opensuse-leap, sles…), wolfi, chainguard, distroless. */
  readonly family: string;
  /** Version as the distribution states it: `12`, `22.04`, `3.20.1`, `2023`. */
  readonly name: string;
  readonly codename?: string;
  /** Set when the OS is past its end of life, when known. */
  readonly eol?: boolean;
}

/** A package as found: the report's Package shape (see @assay/domain reports). */
export interface Package {
  readonly name: string;
  readonly version: string;
  /** deb, rpm, apk, npm, pypi, golang, maven, gem, cargo, composer, nuget… (the purl type). */
  readonly type: string;
  readonly purl: string;
  readonly epoch?: number;
  readonly release?: string;
  readonly arch?: string;
  readonly srcName?: string;
  readonly srcVersion?: string;
  readonly srcEpoch?: number;
  readonly srcRelease?: string;
  /** Licences as the package records them (normalised to SPDX later, by the licence analyzer). */
  readonly licences?: readonly string[];
  /** Dev/test dependency (lockfiles that say so). */
  readonly dev?: boolean;
  /** Not a direct dependency of the project (lockfiles that say so). */
  readonly indirect?: boolean;
  /** Ids (name@version) of the packages this one depends on, when the source records it. */
  readonly dependsOn?: readonly string[];
  /** Filled in by the walker: where it was found. */
  readonly layerDigest?: string;
  readonly path?: string;
}

/** Packages from one source file (a status file, a lockfile, a binary). */
export interface PackageSet {
  /** Analyzer type that produced it. */
  readonly analyzer: string;
  /** The file the packages were read from. */
  readonly path: string;
  readonly packages: readonly Package[];
}

/**
 * Sensitive data found in a file: where, which rule, and the match masked. The matched value
 * itself never leaves the analyzer (see @assay/domain's SensitiveFindingSchema: strict on purpose).
 */
export interface SensitiveFinding {
  readonly rule: string;
  readonly category?: string;
  readonly severity: 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';
  readonly path: string;
  readonly layerDigest?: string;
  /** 1-based line of the match. */
  readonly line?: number;
  /** The match with its secret part masked (`AKIA************MPLE`). */
  readonly masked: string;
}

export interface AnalysisResult {
  readonly os?: OsInfo;
  readonly sensitiveFindings?: readonly SensitiveFinding[];
  readonly packageSets?: readonly PackageSet[];
  /**
   * Files the OS package manager installed (dpkg info/*.list, rpm file lists, apk R: lines):
   * language analyzers skip packages found under them, so a Python package installed by dpkg
   * is not counted twice.
   */
  readonly systemInstalledFiles?: readonly string[];
  /** Recoverable problems (a corrupt database read in part): reported, never thrown. */
  readonly warnings?: readonly string[];
}

interface AnalyzerBase {
  /** Unique, stable: `dpkg`, `apk`, `rpm-sqlite`, `npm-lock`, `os-release`… */
  readonly type: string;
  /** Bump when output for the same input changes: invalidates cached layer results. */
  readonly version: number;
  /** Largest file handed to this analyzer; larger ones are skipped with a warning. Default 10 MiB. */
  readonly maxFileSize?: number;
  /** Whether this analyzer wants the file at `path`. Cheap: called for every file of every layer. */
  required(path: string, info: FileInfo): boolean;
}

export interface FileAnalyzer extends AnalyzerBase {
  readonly kind: 'file';
  analyze(file: AnalysisFile, ctx: LayerContext): Promise<AnalysisResult | undefined> | AnalysisResult | undefined;
}

/** The files a group analyzer asked for, from one layer, by path. */
export interface VirtualFs {
  get(path: string): AnalysisFile | undefined;
  paths(): IterableIterator<string>;
  readonly size: number;
}

export interface GroupAnalyzer extends AnalyzerBase {
  readonly kind: 'group';
  analyzeGroup(files: VirtualFs, ctx: LayerContext): Promise<AnalysisResult | undefined> | AnalysisResult | undefined;
}

export type Analyzer = FileAnalyzer | GroupAnalyzer;

export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

/** A set of analyzers; registration refuses duplicate types. */
export class AnalyzerRegistry {
  readonly #byType = new Map<string, Analyzer>();

  constructor(analyzers: readonly Analyzer[] = []) {
    for (const a of analyzers) this.register(a);
  }

  register(a: Analyzer): this {
    if (this.#byType.has(a.type)) throw new Error(`analyzer "${a.type}" is registered twice`);
    if (!Number.isInteger(a.version) || a.version < 1) throw new Error(`analyzer "${a.type}": version must be a positive integer`);
    this.#byType.set(a.type, a);
    return this;
  }

  get analyzers(): readonly Analyzer[] {
    return [...this.#byType.values()];
  }

  /** `{type: version}`, sorted by type: part of every per-layer cache key. */
  versions(): Record<string, number> {
    return Object.fromEntries(
      [...this.#byType.values()].map((a) => [a.type, a.version]).sort(([x], [y]) => String(x).localeCompare(String(y))),
    );
  }

  /** Analyzers that want this file (and may take it, size-wise). */
  wanting(path: string, info: FileInfo): Analyzer[] {
    const out: Analyzer[] = [];
    for (const a of this.#byType.values()) if (a.required(path, info)) out.push(a);
    return out;
  }
}
