// Java archives (jar, war, ear, par, …; zips read with fflate). Per archive, in order of trust:
// every pom.properties (groupId, artifactId, version); failing that, META-INF/MANIFEST.MF
// (Bundle-SymbolicName, Implementation-Title/Version, …) combined with the file name
// `artifact-1.2.3.jar`; the file name alone last. Nested archives (WEB-INF/lib, BOOT-INF/lib,
// any *.jar entry) are opened recursively with a depth bound and an inflated-bytes budget, so a
// zip bomb costs at most the budget and yields a warning.
import { unzipSync, type UnzipFileInfo } from 'fflate';
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { basename, errMsg, makePackage, parsedResult, text } from './util.ts';

const ARCHIVE_EXT = /\.(jar|war|ear|par|sar|jpi|hpi|lpkg|nar)$/i;

export function mavenPackage(groupId: string, artifactId: string, version: string): Package {
  return makePackage({ type: 'maven', name: `${groupId}:${artifactId}`, version, namespace: groupId, purlName: artifactId });
}

export interface JarOptions {
  /** Use `name-version.jar` when the archive itself says nothing (default true). */
  useFilename?: boolean;
  /** Deepest nesting opened (default 16). */
  maxDepth?: number;
  /** Inflated bytes allowed across the whole archive tree (default 512 MiB). */
  maxInflated?: number;
}

/** `artifact-1.2.3.jar` → {artifactId, version, groupId?} (a dotted artifact names its group). */
export function parseJarFilename(path: string): { artifactId: string; version: string; groupId?: string } | undefined {
  const stem = basename(path).replace(ARCHIVE_EXT, '');
  if (!stem || stem === basename(path)) return undefined;
  const m = /[-_.](?=\d|build\d|r\d+$|rc\d+$)/.exec(stem);
  if (!m || m.index === 0) return undefined;
  const artifactId = stem.slice(0, m.index);
  const version = stem.slice(m.index + 1);
  const dot = artifactId.lastIndexOf('.');
  return dot > 0 ? { artifactId, version, groupId: artifactId.slice(0, dot) } : { artifactId, version };
}

export function parseProperties(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of s.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('!')) continue;
    const i = line.search(/[=:]/);
    if (i <= 0) continue;
    m.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return m;
}

/** MANIFEST.MF main section: `Key: value`, continuation lines start with one space. */
export function parseManifest(s: string): Map<string, string> {
  const m = new Map<string, string>();
  let last: string | undefined;
  for (const line of s.split(/\r?\n/)) {
    if (line === '') {
      if (m.size) break; // end of the main section
      continue;
    }
    if (line.startsWith(' ') && last) {
      m.set(last, (m.get(last) ?? '') + line.slice(1));
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim().toLowerCase();
    if (!m.has(last)) m.set(last, line.slice(i + 1).trim());
  }
  return m;
}

const VALID_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Group and artifact as a manifest states them, when it states them usably. */
export function manifestIdentity(mf: Map<string, string>): { groupId?: string; artifactId?: string; version?: string } {
  const get = (k: string) => mf.get(k.toLowerCase())?.trim();
  const valid = (v: string | undefined) => (v && VALID_ID.test(v) ? v : undefined);
  // A symbolic name with directives (`x;singleton:=true`) is not trusted as an id (as osv-scalibr).
  const symbolic = valid(get('Bundle-SymbolicName'));
  const implTitle = get('Implementation-Title');
  const name = get('Name');
  const groupId =
    symbolic ??
    valid(get('Extension-Name')) ??
    (implTitle && /^[\w-]+(\.[\w-]+)+#/.test(implTitle) ? implTitle.slice(0, implTitle.indexOf('#')) : undefined) ??
    (name && /^[\w-]+(\/[\w-]+)+\/?$/.test(name) ? name.replace(/\/$/, '').replaceAll('/', '.') : undefined);
  const artifactId =
    valid(name) ??
    valid(implTitle) ??
    valid(get('Specification-Title')) ??
    valid(get('Bundle-Name')) ??
    (symbolic ? symbolic.split('.').pop() : undefined);
  const version = (get('Implementation-Version') ?? get('Bundle-Version') ?? get('Specification-Version'))?.split(/\s+/)[0];
  const out: { groupId?: string; artifactId?: string; version?: string } = {};
  if (groupId) out.groupId = groupId;
  if (artifactId) out.artifactId = artifactId;
  if (version) out.version = version;
  return out;
}

interface Budget {
  left: number;
  warnings: string[];
}

function isWanted(name: string): 'pom' | 'manifest' | 'nested' | undefined {
  if (name.endsWith('/pom.properties') || name === 'pom.properties') return 'pom';
  if (name.toUpperCase() === 'META-INF/MANIFEST.MF') return 'manifest';
  if (ARCHIVE_EXT.test(name)) return 'nested';
  return undefined;
}

function analyzeArchive(path: string, data: Uint8Array, depth: number, opts: Required<JarOptions>, budget: Budget): Package[] {
  if (depth > opts.maxDepth) {
    budget.warnings.push(`${path}: nested deeper than ${opts.maxDepth} archives, not opened`);
    return [];
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data, {
      filter: (f: UnzipFileInfo) => {
        const kind = isWanted(f.name);
        if (!kind) return false;
        if (kind !== 'nested' && f.originalSize > 1024 * 1024) return false;
        if (f.originalSize > budget.left) {
          budget.warnings.push(`${path}!/${f.name}: inflated-size budget exhausted, entry skipped`);
          budget.left = 0;
          return false;
        }
        budget.left -= f.originalSize;
        return true;
      },
    });
  } catch (e) {
    budget.warnings.push(`${path}: not a readable zip archive: ${errMsg(e)}`);
    return [];
  }
  const out: Package[] = [];
  for (const [name, content] of Object.entries(files)) {
    if (isWanted(name) !== 'pom') continue;
    const p = parseProperties(text(content));
    const g = p.get('groupId');
    const a = p.get('artifactId');
    const v = p.get('version');
    if (g && a && v) out.push(mavenPackage(g, a, v));
  }
  if (!out.length) {
    const mfEntry = Object.entries(files).find(([n]) => isWanted(n) === 'manifest')?.[1];
    const mf = mfEntry ? manifestIdentity(parseManifest(text(mfEntry))) : {};
    const fn = opts.useFilename ? parseJarFilename(path) : undefined;
    // The file name is the surest artifact id and version; the manifest is the surer group.
    const artifactId = fn?.artifactId ?? mf.artifactId;
    const version = fn?.version ?? mf.version;
    const groupId = mf.groupId ?? fn?.groupId ?? artifactId;
    if (artifactId && version && groupId && (mf.artifactId || fn)) out.push(mavenPackage(groupId, artifactId, version));
  }
  for (const [name, content] of Object.entries(files)) {
    if (isWanted(name) !== 'nested') continue;
    out.push(...analyzeArchive(`${path}!/${name}`, content, depth + 1, opts, budget));
  }
  return out;
}

export function analyzeJar(path: string, data: Uint8Array, options: JarOptions = {}): { packages: Package[]; warnings: string[] } {
  const opts: Required<JarOptions> = {
    useFilename: options.useFilename ?? true,
    maxDepth: options.maxDepth ?? 16,
    maxInflated: options.maxInflated ?? 512 * 1024 * 1024,
  };
  // The archive itself counts against the budget: it is all bytes held at once.
  const budget: Budget = { left: opts.maxInflated - data.length, warnings: [] };
  const packages = analyzeArchive(path, data, 0, opts, budget);
  return { packages, warnings: budget.warnings };
}

export const javaArchiveAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'jar',
  version: 1,
  maxFileSize: 256 * 1024 * 1024,
  required(path: string, _info: FileInfo): boolean {
    return ARCHIVE_EXT.test(path);
  },
  analyze(file: AnalysisFile) {
    return parsedResult('jar', file.path, analyzeJar(file.path, file.content));
  },
};
