// Helpers shared by the OS package analyzers.
import type { AnalysisFile, AnalysisResult, LayerContext, Package, VirtualFs } from '../analyzer.ts';

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
