// uv: `uv.lock` (TOML; `[[package]]` tables with name, version, source, dependencies,
// `[package.optional-dependencies]` and `[package.dev-dependencies]` groups). The project and
// its workspace members (`source = { editable = … }` or `{ virtual = … }`) are the roots, not
// packages anyone installs from an index, and are skipped. As Trivy reads it: direct = named by
// a root (any group), dev = not reachable from a root through dependencies and optional
// dependencies (only through dev groups).
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { pep503, pypiPackage } from './python.ts';
import { basename, parsedResult, pkgId, str, text, type Parsed } from './util.ts';

interface Entry {
  name: string;
  version: string | undefined;
  local: boolean;
  prodDeps: DepRef[];
  devDeps: DepRef[];
}

interface DepRef {
  name: string;
  version?: string;
}

function depRefs(v: unknown): DepRef[] {
  if (!Array.isArray(v)) return [];
  const out: DepRef[] = [];
  for (const d of v) {
    if (!isObject(d)) continue;
    const name = str(d['name']);
    if (!name) continue;
    const version = str(d['version']);
    out.push(version ? { name, version } : { name });
  }
  return out;
}

/** Dependencies of every group of a `{group: [deps]}` table. */
function groupRefs(v: unknown): DepRef[] {
  return isObject(v) ? Object.values(v).flatMap(depRefs) : [];
}

export function parseUvLock(content: string): Parsed {
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a uv.lock document'] };
  const warnings: string[] = [];
  const list = Array.isArray(doc['package']) ? doc['package'] : [];
  const entries: Entry[] = [];
  for (const p of list) {
    if (!isObject(p)) continue;
    const name = str(p['name']);
    if (!name) {
      warnings.push('[[package]] without a name');
      continue;
    }
    const source = isObject(p['source']) ? p['source'] : {};
    entries.push({
      name,
      version: str(p['version']),
      local: typeof source['editable'] === 'string' || typeof source['virtual'] === 'string',
      prodDeps: [...depRefs(p['dependencies']), ...groupRefs(p['optional-dependencies'])],
      devDeps: groupRefs(p['dev-dependencies']),
    });
  }

  const byName = new Map<string, Entry[]>();
  for (const e of entries) byName.set(pep503(e.name), [...(byName.get(pep503(e.name)) ?? []), e]);
  // A reference names a version only when the lock holds several versions of that package.
  const resolve = (d: DepRef): Entry | undefined => {
    const cands = byName.get(pep503(d.name)) ?? [];
    if (d.version !== undefined) return cands.find((c) => c.version === d.version);
    return cands.length === 1 ? cands[0] : undefined;
  };

  const roots = entries.filter((e) => e.local);
  const direct = new Set<Entry>();
  for (const r of roots)
    for (const d of [...r.prodDeps, ...r.devDeps]) {
      const e = resolve(d);
      if (e) direct.add(e);
    }
  const prod = new Set<Entry>(roots);
  const stack = [...roots];
  while (stack.length)
    for (const d of stack.pop()!.prodDeps) {
      const e = resolve(d);
      if (e && !prod.has(e)) (prod.add(e), stack.push(e));
    }

  const haveRoots = roots.length > 0;
  const packages: Package[] = [];
  for (const e of entries) {
    if (e.local) continue;
    if (!e.version) {
      warnings.push(`package ${e.name}: no version`);
      continue;
    }
    const dependsOn = [...e.prodDeps, ...e.devDeps]
      .map(resolve)
      .filter((x): x is Entry => x !== undefined && !x.local && x.version !== undefined)
      .map((x) => pkgId(x.name, x.version!));
    packages.push(
      pypiPackage(e.name, e.version, {
        dependsOn,
        dev: haveRoots && !prod.has(e),
        ...(haveRoots ? { indirect: !direct.has(e) } : {}),
      }),
    );
  }
  return { packages, warnings };
}

export const uvLockAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'uv-lock',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required: (path: string, _info: FileInfo) => basename(path) === 'uv.lock',
  analyze(file: AnalysisFile) {
    return parsedResult('uv-lock', file.path, parseUvLock(text(file.content)));
  },
};
