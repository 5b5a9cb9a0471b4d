// PEP 751 lock files: `pylock.toml` or `pylock.<name>.toml` (pip lock, PDM, uv export, Poetry's
// export plugin). `lock-version` is checked (1.x is the only major version); `[[packages]]`
// entries give name and version, `dependencies` may name others (with a version when the name
// is ambiguous). A package built from a local directory (`[packages.directory]`) is the project
// being locked, not something from an index, and is skipped; so is one without a version (a VCS
// or archive entry may omit it, and no advisory can match it). One name may appear with several
// versions for different environments (markers): each is reported, as each may be installed.
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { pep503, pypiPackage } from './python.ts';
import { basename, dedupe, parsedResult, pkgId, str, text, type Parsed } from './util.ts';

/** `pylock.toml`, `pylock.dev.toml` (PEP 751's naming rule: one dot-free name between). */
export function isPylockFile(path: string): boolean {
  return /^pylock(\.[^.]+)?\.toml$/.test(basename(path));
}

export function parsePylock(content: string): Parsed {
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a pylock document'] };
  if (Object.keys(doc).length === 0) return { packages: [], warnings: [] }; // an empty file locks nothing
  const warnings: string[] = [];
  const lv = doc['lock-version'];
  if (lv === undefined) warnings.push('no lock-version: read as 1.0');
  else if (typeof lv !== 'string' || !/^1(\.|$)/.test(lv)) warnings.push(`lock-version ${JSON.stringify(lv)} is not 1.x: read as 1.0`);

  const list = (Array.isArray(doc['packages']) ? doc['packages'] : []).filter(isObject);
  const kept: { name: string; version: string; deps: unknown }[] = [];
  for (const p of list) {
    const name = str(p['name']);
    if (!name) {
      warnings.push('[[packages]] entry without a name');
      continue;
    }
    if (isObject(p['directory'])) continue;
    const version = str(p['version']);
    if (!version) continue;
    kept.push({ name, version, deps: p['dependencies'] });
  }

  const versions = new Map<string, string[]>();
  const spelling = new Map<string, string>(); // normalised name → the name as the lock writes it
  for (const k of kept) {
    const n = pep503(k.name);
    versions.set(n, [...(versions.get(n) ?? []), k.version]);
    if (!spelling.has(n)) spelling.set(n, k.name);
  }
  const packages: Package[] = kept.map((k) => {
    const dependsOn: string[] = [];
    for (const d of Array.isArray(k.deps) ? k.deps : []) {
      if (!isObject(d)) continue;
      const dn = str(d['name']);
      if (!dn) continue;
      const have = versions.get(pep503(dn)) ?? [];
      const dv = str(d['version']) ?? (new Set(have).size === 1 ? have[0] : undefined);
      if (dv && have.includes(dv)) dependsOn.push(pkgId(spelling.get(pep503(dn)) ?? dn, dv));
    }
    return pypiPackage(k.name, k.version, { dependsOn });
  });
  return { packages: dedupe(packages), warnings };
}

export const pylockAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'pylock',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required: (path: string, _info: FileInfo) => isPylockFile(path),
  analyze(file: AnalysisFile) {
    return parsedResult('pylock', file.path, parsePylock(text(file.content)));
  },
};
