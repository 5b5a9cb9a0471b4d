// pnpm-lock.yaml, lockfile v5.x (`/name/1.0.0_peer`), v6 (`/name@1.0.0(peer)`) and v9
// (`name@1.0.0(peer)` in `packages`, the graph in `snapshots`, projects in `importers`).
// Entries with `name`/`version` fields (file:, git, tarball deps) take those over the key.
// Dev: v5/v6 say it per package (`dev: true`); v9 does not, so dev = not reachable from any
// importer's production dependencies. Direct = named by an importer (or the top level).
import { isObject } from '@assay/kit';
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { npmPackage } from './npm.ts';
import { readDocument } from './document.ts';
import { analyzeEachFile, basename, pkgId, str } from './util.ts';

interface Entry {
  key: string;
  name: string;
  version: string;
  devFlag: boolean | undefined;
  deps: Record<string, string>;
}

function stripPeers(v: string): string {
  // v6+/v9: `1.0.0(react@18.2.0)`; v5: `1.0.0_react@18.2.0`
  let s = v;
  const paren = s.indexOf('(');
  if (paren > 0) s = s.slice(0, paren);
  const us = s.indexOf('_');
  if (us > 0) s = s.slice(0, us);
  return s;
}

/** Name and version from a package key; undefined when the key has no registry-style version. */
export function parsePnpmKey(key: string, lockVersion: number): { name: string; version: string } | undefined {
  let k = key;
  const paren = k.indexOf('(');
  if (paren > 0) k = k.slice(0, paren);
  if (lockVersion >= 6 || /^\/?(@[^/]+\/)?[^/@]+@/.test(k)) {
    // `/name@1.0.0`, `name@1.0.0`, `/@s/name@1.0.0`
    if (k.startsWith('/')) k = k.slice(1);
    const at = k.lastIndexOf('@');
    if (at > 0) {
      const name = k.slice(0, at);
      const version = stripPeers(k.slice(at + 1));
      if (/^\d/.test(version) && !name.includes('/', name.startsWith('@') ? name.indexOf('/') + 1 : 0)) return { name, version };
    }
    if (lockVersion >= 6) return undefined;
    k = key;
  }
  // v5: `/name/1.0.0`, `/@s/name/1.0.0`, `registry.host/name/1.0.0_peer`
  const segs = (k.startsWith('/') ? k.slice(1) : k.split('/').slice(1).join('/')).split('/');
  let name: string;
  let rest: string[];
  if (segs[0]?.startsWith('@')) {
    name = `${segs[0]}/${segs[1] ?? ''}`;
    rest = segs.slice(2);
  } else {
    name = segs[0] ?? '';
    rest = segs.slice(1);
  }
  if (rest.length !== 1 || !name || name.endsWith('/')) return undefined;
  const version = stripPeers(rest[0]!);
  return /^\d/.test(version) ? { name, version } : undefined;
}

/** v6+/v9 keys name the package before the first `@` even when the rest is a URL. */
function keyName(key: string): string | undefined {
  const k = key.startsWith('/') ? key.slice(1) : key;
  const at = k.indexOf('@', 1);
  return at > 0 ? k.slice(0, at) : undefined;
}

function depRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') out[k] = x;
      else if (isObject(x) && typeof x['version'] === 'string') out[k] = x['version']; // v9 importers: {specifier, version}
    }
  }
  return out;
}

export function parsePnpmLock(content: string): { packages: Package[]; warnings: string[] } {
  const warnings: string[] = [];
  const { doc, error } = readDocument(content, 'YAML');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (doc === null || doc === undefined) return { packages: [], warnings };
  if (!isObject(doc)) return { packages: [], warnings: ['not a pnpm lockfile'] };
  const lv = Number.parseFloat(String(doc['lockfileVersion'] ?? '5')) || 5;
  const pkgs = isObject(doc['packages']) ? doc['packages'] : {};
  const snaps = isObject(doc['snapshots']) ? doc['snapshots'] : undefined;

  const byKey = new Map<string, Entry>();
  const entries: Entry[] = [];
  const keys = snaps ? [...new Set([...Object.keys(snaps), ...Object.keys(pkgs)])] : Object.keys(pkgs);
  for (const key of keys) {
    const base = (() => {
      const p = key.indexOf('(');
      return p > 0 ? key.slice(0, p) : key;
    })();
    const meta = pkgs[key] ?? pkgs[base];
    const m = isObject(meta) ? meta : {};
    const snap = snaps && isObject(snaps[key]) ? snaps[key] : undefined;
    if (snaps && !(key in snaps) && Object.keys(snaps).some((s) => s.startsWith(`${key}(`))) continue; // described by its snapshots
    const parsed = parsePnpmKey(key, lv);
    const name = str(m['name']) ?? parsed?.name ?? (lv >= 6 ? keyName(key) : undefined);
    const version = str(m['version']) ?? (typeof m['version'] === 'number' ? String(m['version']) : undefined) ?? parsed?.version;
    if (!name || !version) {
      // Path-like keys without a version (bare git paths) are skipped quietly; a key that is not
      // even path-like is a broken lockfile, worth a warning.
      if (!key.includes('/') && !key.includes('@')) warnings.push(`cannot read name and version from package key "${key}"`);
      continue;
    }
    const e: Entry = {
      key,
      name,
      version,
      devFlag: typeof m['dev'] === 'boolean' ? m['dev'] : undefined,
      deps: { ...depRecord((snap ?? m)['dependencies']), ...depRecord((snap ?? m)['optionalDependencies']) },
    };
    byKey.set(key, e);
    entries.push(e);
  }

  const byId = new Map<string, Entry>();
  for (const e of entries) if (!byId.has(pkgId(e.name, e.version))) byId.set(pkgId(e.name, e.version), e);
  const resolve = (name: string, ref: string): Entry | undefined => {
    for (const k of [`${name}@${ref}`, `/${name}@${ref}`, `/${name}/${ref}`, ref, `/${ref}`]) {
      const e = byKey.get(k);
      if (e) return e;
    }
    return byId.get(pkgId(name, stripPeers(ref)));
  };

  // Importers: v9/v6 workspaces (`importers`), or the single project at the top level.
  const importers: Record<string, unknown>[] = [];
  if (isObject(doc['importers'])) for (const v of Object.values(doc['importers'])) if (isObject(v)) importers.push(v);
  if (!importers.length && (isObject(doc['dependencies']) || isObject(doc['devDependencies']) || isObject(doc['optionalDependencies'])))
    importers.push(doc);
  const direct = new Set<Entry>();
  const prodRoots: Entry[] = [];
  for (const imp of importers) {
    for (const f of ['dependencies', 'optionalDependencies', 'devDependencies']) {
      for (const [n, ref] of Object.entries(depRecord(imp[f]))) {
        const e = resolve(n, ref);
        if (!e) continue;
        direct.add(e);
        if (f !== 'devDependencies') prodRoots.push(e);
      }
    }
  }
  const depsOf = (e: Entry) =>
    Object.entries(e.deps)
      .map(([n, r]) => resolve(n, r))
      .filter((x): x is Entry => x !== undefined);
  const prod = new Set<Entry>(prodRoots);
  const stack = [...prodRoots];
  while (stack.length) for (const d of depsOf(stack.pop()!)) if (!prod.has(d)) (prod.add(d), stack.push(d));

  const haveImporters = importers.length > 0;
  const packages = entries.map((e) =>
    npmPackage(e.name, e.version, {
      dependsOn: depsOf(e).map((d) => pkgId(d.name, d.version)),
      dev: e.devFlag ?? (haveImporters ? !prod.has(e) : false),
      ...(haveImporters ? { indirect: !direct.has(e) } : {}),
    }),
  );
  return { packages, warnings };
}

export const pnpmLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'pnpm-lock',
  version: 1,
  maxFileSize: 100 * 1024 * 1024,
  required(path: string): boolean {
    return basename(path) === 'pnpm-lock.yaml' && !path.includes('node_modules/');
  },
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('pnpm-lock', fs, parsePnpmLock, (p) => basename(p) === 'pnpm-lock.yaml');
  },
};
