// The analyzer walk of one layer: every entry of the stream is offered to the registry's
// analyzers (`wanting(path, info)`); file analyzers get their file at once, group analyzers get
// theirs collected into a per-analyzer virtual filesystem (within a per-layer byte budget) and
// run once the layer has been read. An analyzer that throws costs a warning, never the scan.
// The result is plain JSON: it is what the per-layer cache stores.
import type { Readable } from 'node:stream';
import {
  DEFAULT_MAX_FILE_SIZE,
  type AnalysisFile,
  type AnalysisResult,
  type Analyzer,
  type AnalyzerRegistry,
  type GroupAnalyzer,
  type LayerContext,
  type OsInfo,
  type Package,
  type PackageSet,
  type SensitiveFinding,
  type VirtualFs,
  withOsPurl,
} from '@assay/inventory';
import { formatBytes, type LayerLimits } from './limits.ts';
import { readEntry, streamLayer, type Compression } from './layer-stream.ts';
import { whiteoutOf } from './paths.ts';

/** Bump when the walker's output for the same layer and analyzers changes. */
export const WALKER_VERSION = 3;
/** The walker's own entry in the analyzer versions of cache keys and reports. */
export const WALKER_KEY = 'scanner-walker';

/** What one layer holds, as far as the analyzers and the final view are concerned. */
export interface LayerAnalysis {
  layerDigest: string;
  diffId: string;
  compression: Compression;
  inflatedBytes: number;
  entries: number;
  os?: OsInfo;
  packageSets: PackageSet[];
  /** Files the OS package manager installed (no leading slash). */
  systemInstalledFiles: string[];
  /** Sensitive data found in this layer's files, masked (kept even if an upper layer deletes the file). */
  sensitiveFindings: SensitiveFinding[];
  /** Paths any analyzer asked for: an upper layer holding one supersedes what a lower one gave. */
  wantedPaths: string[];
  /** `.wh.<name>` targets: paths deleted from lower layers. */
  whiteouts: string[];
  /** Directories made opaque (`.wh..wh..opq`): lower content under them is gone. */
  opaqueDirs: string[];
  symlinks: number;
  warnings: string[];
  /** What this layer holds at the paths custom checks name (only when checks are configured). */
  checkFiles?: CheckFileRecord[];
  /** clamd's verdict on this layer (only when malware scanning is enabled). */
  malware?: LayerMalware;
}

/** One path a custom check names, as this layer has it. */
export interface CheckFileRecord {
  path: string;
  /** `dir` also when the layer only holds entries below the path (no directory entry). */
  kind: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  /** base64 of the first `maxBytes` of a regular file (checks that read content). */
  content?: string;
}

/** The malware scan of one layer, as cached with its analysis. */
export interface LayerMalware {
  strategy: 'layer' | 'file';
  findings: { name: string; path: string; layerDigest?: string }[];
  skipped: { path: string; size: number; reason: string }[];
  scanned: number;
  /** clamd's VERSION reply (engine/database/date). */
  clamd: string;
}

export interface WalkOptions {
  layerDigest: string;
  expectedDiffId?: string | undefined;
  /** OS found in lower layers. */
  os?: OsInfo | undefined;
  limits: LayerLimits;
  onProgress?: (inflatedBytes: number) => void;
  signal?: AbortSignal | undefined;
  /** Paths custom checks name → bytes of content they read (0: existence only). */
  checkPaths?: ReadonlyMap<string, number> | undefined;
  /** Tee of the inflated tar (malware scanning). */
  onInflated?: ((chunk: Buffer) => void) | undefined;
}

/** Reads at most `max` bytes of an entry and drains the rest. */
async function readPrefix(body: Readable, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (n >= max) continue;
    const take = chunk.subarray(0, max - n);
    parts.push(take);
    n += take.length;
  }
  return Buffer.concat(parts);
}

class MapFs implements VirtualFs {
  readonly #files = new Map<string, AnalysisFile>();
  bytes = 0;
  add(f: AnalysisFile): void {
    const old = this.#files.get(f.path);
    if (old) this.bytes -= old.content.length;
    this.#files.set(f.path, f);
    this.bytes += f.content.length;
  }
  delete(path: string): void {
    const old = this.#files.get(path);
    if (old) {
      this.bytes -= old.content.length;
      this.#files.delete(path);
    }
  }
  get(path: string): AnalysisFile | undefined {
    return this.#files.get(path);
  }
  paths(): IterableIterator<string> {
    return this.#files.keys();
  }
  get size(): number {
    return this.#files.size;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function maxFor(a: Analyzer, limits: LayerLimits): number {
  return Math.min(a.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, limits.maxFileSize);
}

const stripSlash = (p: string) => p.replace(/^\/+/, '');

/** Analyzers that find the OS (`os-release`, `os-…`): run before the other group analyzers. */
export function isOsAnalyzer(type: string): boolean {
  return type === 'os' || type.startsWith('os-') || type.endsWith('-release');
}

/** Walks one layer stream through the registry's analyzers. */
export async function analyzeLayer(source: Readable, registry: AnalyzerRegistry, opts: WalkOptions): Promise<LayerAnalysis> {
  const { layerDigest, limits } = opts;
  let os: OsInfo | undefined = opts.os;
  let layerOs: OsInfo | undefined;
  const packageSets: PackageSet[] = [];
  // The OS each set's analyzer was told (by index): a set read before this layer's OS was known is re-derived after.
  const setOs: (OsInfo | undefined)[] = [];
  const systemFiles = new Set<string>();
  const sensitiveFindings: SensitiveFinding[] = [];
  const warnings: string[] = [];
  const wanted = new Set<string>();
  const whiteouts: string[] = [];
  const opaqueDirs: string[] = [];
  const groups = new Map<GroupAnalyzer, MapFs>();
  let groupBytes = 0;
  let symlinks = 0;
  // Contents read for analyzers, kept (bounded) so a later hardlink to them can be served.
  const retained = new Map<string, { content: Buffer; mode: number }>();
  let retainedBytes = 0;

  const checkPaths = opts.checkPaths;
  const checkFiles = new Map<string, CheckFileRecord>();
  // A path with entries below it exists as a directory even without its own entry.
  const noteAncestors = (path: string) => {
    if (!checkPaths || checkPaths.size === 0) return;
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const dir = path.slice(0, i);
      if (checkPaths.has(dir) && !checkFiles.has(dir)) checkFiles.set(dir, { path: dir, kind: 'dir' });
    }
  };

  const ctx = (): LayerContext => ({ layerDigest, ...(opts.expectedDiffId ? { diffId: opts.expectedDiffId } : {}), ...(os ? { os } : {}) });

  const absorb = (analyzer: string, r: AnalysisResult | undefined) => {
    if (!r) return;
    if (r.os) {
      os = r.os;
      layerOs = r.os;
    }
    for (const set of r.packageSets ?? []) {
      const path = stripSlash(set.path);
      setOs[packageSets.length] = os;
      packageSets.push({
        analyzer: set.analyzer || analyzer,
        path,
        packages: set.packages.map((p): Package => ({ ...p, layerDigest, path: p.path !== undefined ? stripSlash(p.path) : path })),
      });
    }
    for (const f of r.systemInstalledFiles ?? []) systemFiles.add(stripSlash(f));
    for (const f of r.sensitiveFindings ?? []) sensitiveFindings.push({ ...f, path: stripSlash(f.path), layerDigest });
    for (const w of r.warnings ?? []) warnings.push(`${analyzer}: ${w}`);
  };

  const offer = async (path: string, mode: number, size: number, content: () => Promise<Buffer | undefined>) => {
    const info = { size, mode };
    const analyzers = registry.wanting(path, info);
    if (analyzers.length === 0) return;
    wanted.add(path);
    const takers: Analyzer[] = [];
    for (const a of analyzers) {
      const max = maxFor(a, limits);
      if (size > max) warnings.push(`${a.type}: skipped ${path} (${size} bytes, more than its ${formatBytes(max)} limit)`);
      else takers.push(a);
    }
    if (takers.length === 0) return;
    const data = await content();
    if (data === undefined) return;
    const file: AnalysisFile = { path, size: data.length, mode, content: data };
    for (const a of takers) {
      if (a.kind === 'file') {
        try {
          absorb(a.type, await a.analyze(file, ctx()));
        } catch (err) {
          warnings.push(`${a.type}: failed on ${path}: ${message(err)}`);
        }
      } else {
        let fs = groups.get(a);
        if (!fs) groups.set(a, (fs = new MapFs()));
        const before = fs.bytes;
        fs.delete(path);
        groupBytes -= before - fs.bytes;
        if (groupBytes + data.length > limits.maxGroupBytes) {
          warnings.push(`${a.type}: skipped ${path}: the layer's files for group analyzers exceed ${formatBytes(limits.maxGroupBytes)}`);
          continue;
        }
        fs.add(file);
        groupBytes += data.length;
      }
    }
    if (retainedBytes + data.length <= limits.maxHardlinkBytes && !retained.has(path)) {
      retained.set(path, { content: data, mode });
      retainedBytes += data.length;
    }
  };

  const result = await streamLayer(
    source,
    {
      layerDigest,
      expectedDiffId: opts.expectedDiffId,
      limits,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      signal: opts.signal,
      onInflated: opts.onInflated,
    },
    async (h, body) => {
      const wh = whiteoutOf(h.path);
      if (wh) {
        if (wh.kind === 'opaque') opaqueDirs.push(wh.dir);
        else whiteouts.push(wh.target);
        return;
      }
      noteAncestors(h.path);
      const checkMax = checkPaths?.get(h.path);
      if (checkMax !== undefined && h.type !== 'file') checkFiles.set(h.path, { path: h.path, kind: h.type });
      switch (h.type) {
        case 'file':
          if (checkMax !== undefined) {
            // The body can be read once: whole when an analyzer could take it, else just the check's prefix.
            const data =
              checkMax === 0 ? undefined : h.size <= limits.maxFileSize ? await readEntry(body, h.size) : await readPrefix(body, checkMax);
            checkFiles.set(h.path, {
              path: h.path,
              kind: 'file',
              ...(data !== undefined ? { content: data.subarray(0, checkMax).toString('base64') } : {}),
            });
            if (data === undefined || data.length === h.size) {
              await offer(h.path, h.mode, h.size, async () => data ?? readEntry(body, h.size));
              return;
            }
          }
          await offer(h.path, h.mode, h.size, () => readEntry(body, h.size));
          return;
        case 'symlink':
          // Recorded, never followed: a loop cannot hold us, an escape leads nowhere.
          symlinks++;
          return;
        case 'hardlink': {
          const target = h.linkname ?? '';
          const kept = retained.get(target);
          const size = kept?.content.length ?? 0;
          if (registry.wanting(h.path, { size, mode: h.mode || (kept?.mode ?? 0) }).length === 0) return;
          if (!kept) {
            warnings.push(`skipped hardlink ${h.path}: its target ${target} is not in this layer or was not kept`);
            wanted.add(h.path);
            return;
          }
          await offer(h.path, h.mode || kept.mode, size, async () => kept.content);
          return;
        }
        default:
          return;
      }
    },
  );
  retained.clear();
  warnings.unshift(...result.warnings);

  // OS detection first, so the package analyzers of the same layer see the OS (purl distro).
  const ordered = [...groups].sort(([a], [b]) => Number(!isOsAnalyzer(a.type)) - Number(!isOsAnalyzer(b.type)));
  for (const [a, fs] of ordered) {
    try {
      absorb(a.type, await a.analyzeGroup(fs, ctx()));
    } catch (err) {
      // Name the files it was given: which one it could not read is for whoever reads the report to find.
      const paths = [...fs.paths()].sort();
      const named = paths.length > 10 ? `${paths.slice(0, 10).join(', ')} and ${paths.length - 10} more` : paths.join(', ');
      warnings.push(`${a.type}: failed on ${named}: ${message(err)}`);
    }
  }
  groups.clear();
  // File analyzers run as the tar is read, so a package database that comes before the layer's
  // own os-release (Alpine, UBI, SLES BCI: one layer holds both) was read without that OS: its
  // purls lack the distribution. They are given it now.
  if (layerOs) {
    const known = layerOs;
    packageSets.forEach((set, i) => {
      if (setOs[i] === known) return;
      packageSets[i] = { ...set, packages: set.packages.map((p) => withOsPurl(p, known)) };
    });
  }

  return {
    layerDigest,
    diffId: result.diffId,
    compression: result.compression,
    inflatedBytes: result.inflatedBytes,
    entries: result.entries,
    ...(layerOs ? { os: layerOs } : {}),
    packageSets,
    systemInstalledFiles: [...systemFiles].sort(),
    sensitiveFindings,
    wantedPaths: [...wanted].sort(),
    whiteouts,
    opaqueDirs,
    symlinks,
    warnings,
    ...(checkPaths && checkPaths.size > 0 ? { checkFiles: [...checkFiles.values()].sort((a, b) => a.path.localeCompare(b.path)) } : {}),
  };
}
