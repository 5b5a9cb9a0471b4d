// Python: installed distributions (`*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info`
// files, `EGG-INFO/PKG-INFO`, and .whl/.egg archives), requirements*.txt (pinned `==`/`===`
// only — a range is not what is installed), poetry.lock and Pipfile.lock.
// purl names are PEP 503-normalised (lowercase, runs of `-_.` → `-`); `name` keeps the spelling.
import { unzipSync } from 'fflate';
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { Collector, analyzeEachFile, basename, cleanPath, dirname, errMsg, joinPath, makePackage, str, text } from './util.ts';

export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function pypiPackage(
  name: string,
  version: string,
  extra: Partial<Pick<Package, 'dev' | 'licences' | 'indirect' | 'dependsOn'>> = {},
): Package {
  return makePackage({ type: 'pypi', name, version, purlName: pep503(name), ...extra });
}

/** RFC 822-style headers (core metadata): keys lower-cased, repeated keys kept in order. */
export function parseMetadataHeaders(s: string): Map<string, string[]> {
  const h = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of s.split(/\r?\n/)) {
    if (line === '') break; // the body (long description) follows the first blank line
    if (/^[ \t]/.test(line)) {
      if (last && last.length) last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue; // malformed line: skip, keep going
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    last = h.get(k) ?? [];
    last.push(v);
    h.set(k, last);
  }
  return h;
}

export function parseCoreMetadata(s: string): Package | undefined {
  const h = parseMetadataHeaders(s);
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (!name || !version) return undefined;
  let licences: string[] = [];
  const expr = h.get('license-expression')?.[0];
  const lic = h.get('license')?.[0];
  if (expr) licences = [expr];
  else if (lic && lic !== 'UNKNOWN' && !lic.includes('\n') && lic.length <= 100) licences = [lic];
  else {
    // Full licence texts in License: fall back to the trove classifiers.
    for (const c of h.get('classifier') ?? []) {
      if (!c.startsWith('License ::')) continue;
      const last = c.split('::').pop()?.trim();
      if (last && last !== 'OSI Approved') licences.push(last);
    }
  }
  return pypiPackage(name, version, { licences });
}

const ARCHIVE = /\.(whl|egg)$/i;
const MAX_ARCHIVE_META = 1024 * 1024;

export function isPythonMetadataPath(path: string): boolean {
  return /\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path) || /(^|\/)EGG-INFO\/PKG-INFO$/.test(path);
}

/** Installed Python distributions. */
export const pythonPackageAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'python-pkg',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required(path: string, info: FileInfo): boolean {
    if (isPythonMetadataPath(path)) return true;
    if (path.endsWith('.egg-info')) return info.size < 5 * 1024 * 1024; // a file (distutils), not the directory
    return ARCHIVE.test(path);
  },
  analyze(file: AnalysisFile) {
    const c = new Collector('python-pkg');
    try {
      if (ARCHIVE.test(file.path)) {
        let total = 0;
        const files = unzipSync(file.content, {
          filter: (f) => {
            const ok = /^[^/]+\.dist-info\/METADATA$/.test(f.name) || /^EGG-INFO\/PKG-INFO$/.test(f.name);
            if (ok) total += f.originalSize;
            return ok && f.originalSize <= MAX_ARCHIVE_META && total <= 4 * MAX_ARCHIVE_META;
          },
        });
        const meta = Object.values(files)[0];
        if (!meta) return c.result();
        const p = parseCoreMetadata(text(meta));
        if (p) c.add(file.path, [p]);
        else c.warn(file.path, 'metadata without Name or Version');
        return c.result();
      }
      const p = parseCoreMetadata(text(file.content));
      if (p) c.add(file.path, [p]);
      else c.warn(file.path, 'metadata without Name or Version');
    } catch (e) {
      c.warn(file.path, errMsg(e));
    }
    return c.result();
  },
};

// ---- requirements.txt -------------------------------------------------------------------

const REQ_NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(===|==)\s*([A-Za-z0-9][^\s;#,]*)/;

/** Pinned requirements of one file; `-r`/`-c` includes followed through `load` (relative paths). */
export function parseRequirements(
  path: string,
  load: (p: string) => string | undefined,
  warnings: string[] = [],
  seen = new Set<string>(),
): Package[] {
  if (seen.has(path) || seen.size > 50) return [];
  seen.add(path);
  const content = load(path);
  if (content === undefined) return [];
  const out: Package[] = [];
  // Join continuation lines (trailing backslash).
  const lines = content.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const raw of lines) {
    let line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const inc = /^(-r|--requirement|-c|--constraint)[\s=]+(\S+)/.exec(line);
    if (inc) {
      if (inc[1] === '-r' || inc[1] === '--requirement')
        out.push(...parseRequirements(cleanPath(joinPath(dirname(path), inc[2]!)), load, warnings, seen));
      continue;
    }
    if (line.startsWith('-')) continue; // other options (--index-url, -e …)
    line = line.split(';')[0]!.trim(); // environment markers
    const m = REQ_NAME.exec(line);
    if (!m) continue; // unpinned or a URL: not a version we can report
    const version = m[4]!;
    if (version.includes('*') || version.includes('$')) continue; // wildcard or env var: not a pin
    out.push(pypiPackage(m[1]!, version));
  }
  return out;
}

export function isRequirementsFile(path: string): boolean {
  return /(^|[-_.])requirements([-_.][\w.-]*)?\.txt$/i.test(basename(path)) || /(^|\/)requirements\/[^/]+\.txt$/.test(path);
}

export const pipRequirementsAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'pip-requirements',
  version: 1,
  maxFileSize: 10 * 1024 * 1024,
  required(path: string): boolean {
    return isRequirementsFile(path) && !path.includes('site-packages/');
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('pip-requirements');
    const load = (p: string) => {
      const f = fs.get(p);
      return f ? text(f.content) : undefined;
    };
    for (const p of [...fs.paths()].sort()) {
      if (fs.get(p)?.content.includes(0)) {
        c.warn(p, 'not a text file (NUL bytes): not read');
        continue;
      }
      const w: string[] = [];
      c.add(p, parseRequirements(p, load, w));
      for (const x of w) c.warn(p, x);
    }
    return c.result();
  },
};

// ---- poetry.lock, Pipfile.lock -----------------------------------------------------------

export function parsePoetryLock(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { packages: [], warnings: [error] };
  const list = isObject(doc) && Array.isArray(doc['package']) ? doc['package'] : [];
  const packages: Package[] = [];
  for (const p of list) {
    if (!isObject(p)) continue;
    const name = str(p['name']);
    const version = str(p['version']);
    if (!name || !version) continue;
    const deps = isObject(p['dependencies']) ? Object.keys(p['dependencies']) : [];
    // Poetry 1.x: `category = "dev"`; 2.x: `groups = [...]` (dev when "main" is not among them).
    const groups = Array.isArray(p['groups']) ? p['groups'].filter((g): g is string => typeof g === 'string') : undefined;
    const dev = p['category'] === 'dev' || (groups !== undefined && groups.length > 0 && !groups.includes('main'));
    packages.push({ ...pypiPackage(name, version, { dev }), ...(deps.length ? { dependsOn: deps.map(pep503).sort() } : {}) });
  }
  // dependsOn names → name@version where the lock has exactly one version of that name.
  const byName = new Map<string, string[]>();
  for (const p of packages) byName.set(pep503(p.name), [...(byName.get(pep503(p.name)) ?? []), `${p.name}@${p.version}`]);
  return {
    packages: packages.map((p) => {
      if (!p.dependsOn) return p;
      const ids = p.dependsOn
        .map((n) => byName.get(n))
        .filter((x): x is string[] => x?.length === 1)
        .map((x) => x[0]!);
      const { dependsOn: _d, ...rest } = p;
      return ids.length ? { ...rest, dependsOn: ids.sort() } : rest;
    }),
    warnings: [],
  };
}

export function parsePipfileLock(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a Pipfile.lock object'] };
  const out = new Map<string, Package>();
  for (const [section, dev] of [
    ['default', false],
    ['develop', true],
  ] as const) {
    const s = doc[section];
    if (!isObject(s)) continue;
    for (const [name, v] of Object.entries(s)) {
      if (!isObject(v)) continue;
      const raw = str(v['version']);
      if (!raw) continue; // git / path entries carry no version
      const version = raw.replace(/^===?/, '');
      const key = `${pep503(name)}@${version}`;
      const prev = out.get(key);
      if (prev) {
        if (!dev && prev.dev) out.set(key, pypiPackage(name, version));
        continue;
      }
      out.set(key, pypiPackage(name, version, { dev }));
    }
  }
  return { packages: [...out.values()], warnings: [] };
}

export const poetryLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'poetry-lock',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required: (path: string) => basename(path) === 'poetry.lock',
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('poetry-lock', fs, parsePoetryLock);
  },
};

export const pipfileLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'pipfile-lock',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required: (path: string) => basename(path) === 'Pipfile.lock',
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('pipfile-lock', fs, parsePipfileLock);
  },
};
