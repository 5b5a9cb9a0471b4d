// Helpers shared by the OS package analyzers.
import type { AnalysisFile, LayerContext, VirtualFs } from '../analyzer.ts';

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

/** Files paths as the walker writes them: layer-relative, no leading slash. */
export function layerPath(p: string): string {
  return p.replace(/^\.?\/+/, '');
}
