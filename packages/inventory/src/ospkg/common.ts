// Helpers shared by the OS package analyzers.
import type { AnalysisFile, AnalysisResult, LayerContext, OsInfo, Package, VirtualFs } from '../analyzer.ts';
import { parsePurl, purl } from '../purl.ts';

/** A VirtualFs over a plain map (tests, and analyzers that re-use group logic). */
export function virtualFs(files: Iterable<AnalysisFile>): VirtualFs {
  const m = new Map<string, AnalysisFile>();
  for (const f of files) m.set(f.path, f);
  return { get: (p) => m.get(p), paths: () => m.keys(), size: m.size };
}

/** `distro` purl qualifier: `debian-12.5`, `alpine-3.18.0`; undefined without a known OS. */
export function distroQualifier(ctx: LayerContext): string | undefined {
  if (!ctx.os?.family) return undefined;
  return ctx.os.name ? `${ctx.os.family}-${ctx.os.name}` : ctx.os.family;
}

/**
 * The purl namespace of an OS package for the OS it was installed on: the distribution for rpm
 * (`redhat`, `almalinux`, `suse`…), Debian or Ubuntu for deb, Alpine unless Wolfi/Chainguard for
 * apk. Undefined when the OS is unknown (rpm has no default distribution).
 */
export function osPurlNamespace(type: string, family: string | undefined): string | undefined {
  switch (type) {
    case 'deb':
      return family === 'ubuntu' || family === 'debian' ? family : 'debian';
    case 'apk':
      return family === 'wolfi' || family === 'chainguard' ? family : 'alpine';
    case 'rpm':
      if (!family) return undefined;
      if (family === 'alma') return 'almalinux';
      if (family.startsWith('opensuse')) return 'opensuse';
      if (family === 'sles' || family === 'sle-micro') return 'suse';
      return family;
    default:
      return undefined;
  }
}

/** Package types whose purl names the OS (namespace and `distro` qualifier). */
const OS_PURL_TYPES: ReadonlySet<string> = new Set(['deb', 'rpm', 'apk']);

/**
 * The package's purl as it reads once the OS is known: namespace and `distro` for that OS, the
 * rest as the analyzer wrote it. The walker uses this when a package database was read before
 * the same layer's os-release (a single-layer base image holds both; file analyzers run as the
 * tar is read). Any other package, or a purl that does not parse, is returned unchanged.
 */
export function withOsPurl(pkg: Package, os: OsInfo): Package {
  if (!OS_PURL_TYPES.has(pkg.type)) return pkg;
  try {
    const u = parsePurl(pkg.purl);
    const next = purl({
      ...u,
      namespace: osPurlNamespace(pkg.type, os.family) ?? u.namespace,
      qualifiers: { ...u.qualifiers, distro: distroQualifier({ layerDigest: '', os }) },
    });
    return next === pkg.purl ? pkg : { ...pkg, purl: next };
  } catch {
    return pkg;
  }
}

/** What one OS package database holds: its packages, the files they installed, what could not be read. */
export interface PackageDbContents {
  packages: Package[];
  files: string[];
  warnings: string[];
}

/**
 * A file analyzer's result for one package database: its packages as one set, its installed
 * files (so language analyzers skip them), its warnings named by the file. A database that
 * cannot be read at all is a warning, never a failed layer.
 */
export function packageDbResult(analyzer: string, path: string, read: () => PackageDbContents): AnalysisResult {
  try {
    const r = read();
    return {
      packageSets: [{ analyzer, path, packages: r.packages }],
      ...(r.files.length ? { systemInstalledFiles: r.files } : {}),
      ...(r.warnings.length ? { warnings: r.warnings.map((w) => `${path}: ${w}`) } : {}),
    };
  } catch (e) {
    return { warnings: [`${path}: ${(e as Error).message}`] };
  }
}

/** Files paths as the walker writes them: layer-relative, no leading slash. */
export function layerPath(p: string): string {
  return p.replace(/^\.?\/+/, '');
}
