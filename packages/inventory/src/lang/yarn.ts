// yarn.lock: classic v1 (its own format, parsed with @yarnpkg/lockfile) and berry v2+ (YAML with
// `__metadata`). The lock has no dev flags; with the sibling package.json we mark direct deps
// and dev (reachable only from devDependencies), walking the lock's dependency graph.
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { isObject } from '@assay/kit';
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { npmPackage, readManifest } from './npm.ts';
import { analyzeEachFile, basename, dirname, errMsg, pkgId, str } from './util.ts';

const yarnLockfile = createRequire(import.meta.url)('@yarnpkg/lockfile') as {
  parse(s: string): { type: string; object: Record<string, unknown> };
};

interface Entry {
  name: string;
  version: string;
  deps: Record<string, string>;
}

/** Package name of a pattern: `a@^1`, `@s/a@^1`, `alias@npm:real@^1` → real, `a` (no range). */
export function patternName(pattern: string): string {
  let p = pattern.trim().replace(/^"|"$/g, '');
  const at = p.indexOf('@', 1);
  if (at < 0) return p;
  const name = p.slice(0, at);
  const range = p.slice(at + 1);
  if (range.startsWith('npm:')) {
    p = range.slice(4);
    const at2 = p.indexOf('@', 1);
    // `alias@npm:real@range`; `a@npm:^1.0.0` keeps `a`.
    if (at2 > 0 && !/^[\^~<>=\d*]/.test(p)) return p.slice(0, at2);
  }
  return name;
}

function depRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Parses yarn.lock (either generation) into entries keyed by every pattern that resolves to them. */
export function parseYarnLock(content: string): { byPattern: Map<string, Entry>; entries: Entry[]; warnings: string[] } {
  const warnings: string[] = [];
  const byPattern = new Map<string, Entry>();
  const entries: Entry[] = [];
  const berry = /^__metadata:/m.test(content);
  let obj: Record<string, unknown>;
  try {
    if (berry) {
      const d: unknown = parseYaml(content, { maxAliasCount: 100 });
      obj = isObject(d) ? d : {};
    } else {
      const r = yarnLockfile.parse(content);
      if (r.type !== 'success') warnings.push(`lockfile has merge conflicts (${r.type})`);
      obj = isObject(r.object) ? r.object : {};
    }
  } catch (e) {
    return { byPattern, entries, warnings: [`cannot parse: ${errMsg(e)}`] };
  }
  const seen = new Map<unknown, Entry>(); // v1's parser gives one object per key of a multi-pattern group
  for (const [key, v] of Object.entries(obj)) {
    if (key === '__metadata' || !isObject(v)) continue;
    const version = str(v['version']) ?? (typeof v['version'] === 'number' ? String(v['version']) : undefined);
    const patterns = key
      .split(',')
      .map((s) => s.trim().replace(/^"|"$/g, ''))
      .filter(Boolean);
    const first = patterns[0];
    if (!first || !version) continue;
    let e = seen.get(v);
    if (!e) {
      const resolution = str(v['resolution']);
      // berry: the root workspace (`name@workspace:.`) is the project itself, not a dependency.
      if (resolution && /@workspace:\.$/.test(resolution)) {
        for (const p of patterns) byPattern.set(p, { name: patternName(resolution), version, deps: depRecord(v['dependencies']) });
        continue;
      }
      const name = resolution ? patternName(resolution) : patternName(first);
      e = { name, version, deps: { ...depRecord(v['dependencies']), ...depRecord(v['optionalDependencies']) } };
      seen.set(v, e);
      entries.push(e);
    }
    for (const p of patterns) byPattern.set(p, e);
  }
  return { byPattern, entries, warnings };
}

function lookup(byPattern: Map<string, Entry>, name: string, range: string): Entry | undefined {
  return byPattern.get(`${name}@${range}`) ?? byPattern.get(`${name}@npm:${range}`);
}

/** Packages of a parsed yarn.lock; with a manifest, direct/indirect and dev are set. */
export function yarnPackages(content: string, manifest?: unknown): { packages: Package[]; warnings: string[] } {
  const { byPattern, entries, warnings } = parseYarnLock(content);
  const idOf = (e: Entry) => pkgId(e.name, e.version);
  const depsOf = (e: Entry): Entry[] =>
    Object.entries(e.deps)
      .map(([n, r]) => lookup(byPattern, n, r))
      .filter((x): x is Entry => x !== undefined);

  let direct: Set<Entry> | undefined;
  let prodReach: Set<Entry> | undefined;
  if (isObject(manifest)) {
    direct = new Set();
    const reach = (roots: Entry[]): Set<Entry> => {
      const seen = new Set<Entry>(roots);
      const stack = [...roots];
      while (stack.length) for (const d of depsOf(stack.pop()!)) if (!seen.has(d)) (seen.add(d), stack.push(d));
      return seen;
    };
    const rootsOf = (fields: string[]): Entry[] => {
      const out: Entry[] = [];
      for (const f of fields)
        for (const [n, r] of Object.entries(depRecord(manifest[f]))) {
          const e = lookup(byPattern, n, r);
          if (e) out.push(e);
        }
      return out;
    };
    const prodRoots = rootsOf(['dependencies', 'optionalDependencies', 'peerDependencies']);
    const devRoots = rootsOf(['devDependencies']);
    for (const e of [...prodRoots, ...devRoots]) direct.add(e);
    prodReach = reach(prodRoots);
  }
  const packages = entries.map((e) =>
    npmPackage(e.name, e.version, {
      dependsOn: depsOf(e).map(idOf),
      ...(direct ? { indirect: !direct.has(e), dev: !prodReach!.has(e) } : {}),
    }),
  );
  return { packages, warnings };
}

export const yarnLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'yarn-lock',
  version: 1,
  maxFileSize: 100 * 1024 * 1024,
  required(path: string): boolean {
    if (path.includes('node_modules/')) return false;
    const b = basename(path);
    return b === 'yarn.lock' || b === 'package.json';
  },
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile(
      'yarn-lock',
      fs,
      (content, p) => yarnPackages(content, readManifest(fs, dirname(p))),
      (p) => basename(p) === 'yarn.lock',
    );
  },
};
