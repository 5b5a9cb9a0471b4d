// Rust: Cargo.lock (`[[package]]` tables; local workspace crates have no `source` and are kept,
// as osv-scalibr does) and binaries built with cargo-auditable, whose ELF section `.dep-v0`
// holds zlib-compressed JSON of the dependency tree.
import { inflateSync } from 'node:zlib';
import type { AnalysisFile, FileAnalyzer, FileInfo, GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { elfSection, parseElf } from './binary.ts';
import { isObject } from '@assay/kit';
import { readDocument } from './document.ts';
import { Collector, analyzeEachFile, basename, errMsg, makePackage, str } from './util.ts';

export function cargoPackage(name: string, version: string, extra: Partial<Pick<Package, 'dependsOn' | 'indirect' | 'dev'>> = {}): Package {
  return makePackage({ type: 'cargo', name, version, ...extra });
}

export function parseCargoLock(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { packages: [], warnings: [error] };
  const list = isObject(doc) && Array.isArray(doc['package']) ? doc['package'].filter(isObject) : [];
  const versions = new Map<string, string[]>();
  for (const p of list) {
    const n = str(p['name']);
    const v = str(p['version']);
    if (n && v) versions.set(n, [...(versions.get(n) ?? []), v]);
  }
  const packages: Package[] = [];
  for (const p of list) {
    const name = str(p['name']);
    const version = str(p['version']);
    if (!name || !version) continue;
    // A dependency is `name`, or `name version` (several versions locked), or `name version (source)`.
    const deps: string[] = [];
    for (const d of Array.isArray(p['dependencies']) ? p['dependencies'] : []) {
      if (typeof d !== 'string') continue;
      const [dn, dv] = d.split(' ');
      if (!dn) continue;
      const v = dv ?? (versions.get(dn)?.length === 1 ? versions.get(dn)![0] : undefined);
      if (v) deps.push(`${dn}@${v}`);
    }
    packages.push(cargoPackage(name, version, { dependsOn: deps }));
  }
  return { packages, warnings: [] };
}

export const cargoLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'cargo-lock',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required: (path: string) => basename(path) === 'Cargo.lock',
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('cargo-lock', fs, parseCargoLock);
  },
};

/** Packages from cargo-auditable's `.dep-v0` JSON. Build-only dependencies are flagged dev. */
export function parseAuditableJson(json: string): Package[] {
  const doc: unknown = JSON.parse(json);
  const list = isObject(doc) && Array.isArray(doc['packages']) ? doc['packages'] : [];
  const ids = list.map((p) => (isObject(p) ? `${str(p['name'])}@${str(p['version'])}` : ''));
  const out: Package[] = [];
  list.forEach((p) => {
    if (!isObject(p)) return;
    const name = str(p['name']);
    const version = str(p['version']);
    if (!name || !version) return;
    const deps = (Array.isArray(p['dependencies']) ? p['dependencies'] : [])
      .map((i) => (typeof i === 'number' ? ids[i] : undefined))
      .filter((x): x is string => !!x && !x.includes('undefined'));
    out.push(cargoPackage(name, version, { dependsOn: deps, dev: p['kind'] === 'build' }));
  });
  return out;
}

export const cargoAuditableAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'cargo-auditable',
  version: 1,
  maxFileSize: 200 * 1024 * 1024,
  required(path: string, info: FileInfo): boolean {
    return (info.mode & 0o111) !== 0 && info.size >= 1024 && !/\.(sh|py|pl|rb|js|txt)$/.test(path);
  },
  analyze(file: AnalysisFile) {
    const elf = parseElf(file.content);
    if (!elf) return undefined;
    const sec = elfSection(elf, '.dep-v0');
    if (!sec) return undefined;
    const c = new Collector('cargo-auditable');
    try {
      const json = inflateSync(sec, { maxOutputLength: 32 * 1024 * 1024 }).toString('utf8');
      c.add(file.path, parseAuditableJson(json));
    } catch (e) {
      c.warn(file.path, `unreadable .dep-v0 section: ${errMsg(e)}`);
    }
    return c.result();
  },
};
