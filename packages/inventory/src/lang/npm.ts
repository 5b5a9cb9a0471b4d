// npm: package-lock.json / npm-shrinkwrap.json (lockfile v1 `dependencies` tree, v2/v3
// `packages` map) and installed node_modules/**/package.json. Semantics follow Trivy's npm
// parser: direct = named by the root (or a workspace) manifest, dev from the lock's own flags,
// dependsOn resolved the way node resolves modules (nearest node_modules upwards).
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { readDocument } from './document.ts';
import {
  Collector,
  basename,
  cleanPath,
  dedupe,
  dirname,
  errMsg,
  joinPath,
  keysOf,
  licenceList,
  makePackage,
  pkgId,
  str,
  text,
} from './util.ts';

export function npmPackage(
  name: string,
  version: string,
  extra: Partial<Pick<Package, 'dev' | 'indirect' | 'dependsOn' | 'licences'>> = {},
): Package {
  // purl: scope is the namespace (`pkg:npm/%40scope/name@1.0.0`).
  const at = name.startsWith('@') ? name.indexOf('/') : -1;
  const namespace = at > 0 ? name.slice(0, at) : undefined;
  const purlName = at > 0 ? name.slice(at + 1) : name;
  return makePackage({ type: 'npm', name, version, namespace, purlName, ...extra });
}

/** Direct dependency names from a package.json-shaped object, split by group. */
export interface ManifestDeps {
  prod: Set<string>;
  dev: Set<string>;
}

export function manifestDeps(m: unknown): ManifestDeps {
  const prod = new Set<string>();
  const dev = new Set<string>();
  if (!isObject(m)) return { prod, dev };
  for (const f of ['dependencies', 'optionalDependencies', 'peerDependencies']) for (const k of keysOf(m[f])) prod.add(k);
  for (const k of keysOf(m['devDependencies'])) dev.add(k);
  return { prod, dev };
}

export function readManifest(fs: VirtualFs, dir: string): unknown {
  const f = fs.get(joinPath(dir, 'package.json'));
  if (!f) return undefined;
  try {
    return JSON.parse(text(f.content));
  } catch {
    return undefined;
  }
}

/** Version as npm writes it for a git dependency: keep the commit, it is all that identifies it. */
function gitCommit(v: string): string | undefined {
  if (!/^(git\+|git:|github:|gitlab:|bitbucket:|gist:)|^[\w.-]+\/[\w.-]+#/.test(v)) return undefined;
  const h = v.lastIndexOf('#');
  return h >= 0 ? v.slice(h + 1) : undefined;
}

/** Normalises a lock `version` value: `npm:real@1.2.3` aliases, git commits; undefined for local file/link deps. */
export function lockVersion(v: string, name: string): { name: string; version: string } | undefined {
  if (v.startsWith('npm:')) {
    const spec = v.slice(4);
    const at = spec.lastIndexOf('@');
    if (at > 0) return { name: spec.slice(0, at), version: spec.slice(at + 1) };
    return undefined;
  }
  if (v.startsWith('file:') || v.startsWith('link:')) return undefined;
  const commit = gitCommit(v);
  if (commit !== undefined) return { name, version: commit };
  if (/^(https?:|git)/.test(v)) return undefined;
  return v ? { name, version: v } : undefined;
}

/** Parses a package-lock.json / npm-shrinkwrap.json. `manifest` is the sibling package.json (for v1's direct deps). */
export function parsePackageLock(content: string, manifest?: unknown): { packages: Package[]; warnings: string[] } {
  const warnings: string[] = [];
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a package-lock object'] };
  // One entry per name@version: reached twice, it is dev only if every occurrence is (npm's view).
  if (isObject(doc['packages'])) return { packages: dedupe(parseV2(doc['packages'], warnings)), warnings };
  if (isObject(doc['dependencies'])) return { packages: dedupe(parseV1(doc['dependencies'], manifest, warnings)), warnings };
  return { packages: [], warnings };
}

function nameFromPath(p: string): string | undefined {
  const i = p.lastIndexOf('node_modules/');
  if (i < 0) return undefined;
  return p.slice(i + 'node_modules/'.length);
}

function parseV2(packages: Record<string, unknown>, warnings: string[]): Package[] {
  const entries = new Map<string, Record<string, unknown>>();
  for (const [k, v] of Object.entries(packages)) if (isObject(v)) entries.set(k, v);
  const root = entries.get('') ?? {};
  const rootDeps = manifestDeps(root);
  const direct = new Set([...rootDeps.prod, ...rootDeps.dev]);

  // Workspaces: link entries point (node_modules/x → packages/x); the target holds the data.
  const linkName = new Map<string, string>(); // target path → name (from the link)
  for (const [p, e] of entries) {
    if (e['link'] === true && typeof e['resolved'] === 'string') {
      const n = nameFromPath(p);
      if (n) linkName.set(cleanPath(e['resolved']), n);
    }
  }
  const workspaceDirs = new Set(linkName.keys());
  const fileTargets = new Set<string>(); // `"x": "file:./deps/x"` in the root manifest
  for (const f of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const d = root[f];
    if (isObject(d))
      for (const v of Object.values(d)) if (typeof v === 'string' && v.startsWith('file:')) fileTargets.add(cleanPath(v.slice(5)));
  }

  // Resolve where a dependency `name` required from package at `from` lives (node resolution).
  const resolveDep = (from: string, name: string): string | undefined => {
    let base = from;
    for (;;) {
      const cand = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      const e = entries.get(cand);
      if (e) {
        if (e['link'] === true && typeof e['resolved'] === 'string') return cleanPath(e['resolved']);
        return cand;
      }
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      if (i >= 0) base = base.slice(0, i);
      else if (base.startsWith('node_modules/')) base = '';
      else base = ''; // a workspace dir: next try the root node_modules
    }
  };

  const idOf = new Map<string, string>();
  const nameOf = new Map<string, string>();
  for (const [p, e] of entries) {
    if (p === '' || e['link'] === true) continue;
    // Outside node_modules: workspaces and copied `file:` packages; they are in the image too.
    const inNm = p.includes('node_modules/');
    if (!inNm && !workspaceDirs.has(p) && !fileTargets.has(p)) continue; // a broken link: nothing installs it
    let name = str(e['name']) ?? (inNm ? nameFromPath(p) : (linkName.get(p) ?? basename(p)));
    // A git dependency may carry no version: its commit (in `resolved`) identifies it.
    let version = str(e['version']) ?? (typeof e['resolved'] === 'string' ? gitCommit(e['resolved']) : undefined);
    if (!name || !version) continue;
    const lv = lockVersion(version, name);
    if (!lv) continue;
    ({ name, version } = lv);
    idOf.set(p, pkgId(name, version));
    nameOf.set(p, name);
  }

  const out: Package[] = [];
  for (const [p, id] of idOf) {
    const e = entries.get(p) ?? {};
    const name = nameOf.get(p) ?? '';
    const version = id.slice(name.length + 1);
    const deps: string[] = [];
    for (const f of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const dn of keysOf(e[f])) {
        const target = resolveDep(p, dn);
        const tid = target !== undefined ? idOf.get(target) : undefined;
        if (tid) deps.push(tid);
      }
    }
    const isWorkspace = workspaceDirs.has(p);
    const topLevel = p === `node_modules/${nameFromPath(p)}` && !nameFromPath(p)?.includes('node_modules/');
    const isDirect = isWorkspace || (topLevel && direct.has(nameFromPath(p) ?? ''));
    out.push(
      npmPackage(name, version, {
        dev: e['dev'] === true || e['devOptional'] === true,
        indirect: !isDirect,
        dependsOn: deps,
        licences: licenceList(e['license'] ?? e['licenses']),
      }),
    );
  }
  if (entries.size > 0 && out.length === 0 && entries.size > 1) warnings.push('no installable packages in packages map');
  return out;
}

function parseV1(deps: Record<string, unknown>, manifest: unknown, warnings: string[]): Package[] {
  const m = manifestDeps(manifest);
  const haveManifest = manifest !== undefined;
  const direct = new Set([...m.prod, ...m.dev]);
  const out: Package[] = [];
  let budget = 200_000; // bounded: a hostile lock cannot make us walk forever

  // scope chain: each level is the `dependencies` object of an ancestor, innermost first.
  const walk = (level: Record<string, unknown>, chain: Record<string, unknown>[], depth: number): void => {
    if (depth > 200) {
      warnings.push('dependency tree too deep');
      return;
    }
    const scopes = [level, ...chain];
    for (const [key, v] of Object.entries(level)) {
      if (--budget < 0) return;
      if (!isObject(v)) continue;
      const raw = str(v['version']);
      const lv = raw ? lockVersion(raw, key) : undefined;
      const nested = isObject(v['dependencies']) ? v['dependencies'] : undefined;
      if (lv) {
        const dependsOn: string[] = [];
        const inner = nested ? [nested, ...scopes] : scopes;
        for (const rn of keysOf(v['requires'])) {
          for (const s of inner) {
            const t = s[rn];
            if (isObject(t)) {
              const tv = str(t['version']);
              const tl = tv ? lockVersion(tv, rn) : undefined;
              if (tl) dependsOn.push(pkgId(tl.name, tl.version));
              break;
            }
          }
        }
        const extra: { dev?: boolean; indirect?: boolean; dependsOn?: string[] } = { dev: v['dev'] === true, dependsOn };
        if (haveManifest) extra.indirect = !(depth === 0 && direct.has(key));
        out.push(npmPackage(lv.name, lv.version, extra));
      }
      if (nested) walk(nested, scopes, depth + 1);
    }
  };
  walk(deps, [], 0);
  if (budget < 0) warnings.push('dependency tree truncated');
  return out;
}

const LOCK_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

function underNodeModules(p: string): boolean {
  return p.startsWith('node_modules/') || p.includes('/node_modules/');
}

/** package-lock.json / npm-shrinkwrap.json, with the sibling package.json. */
export const npmLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'npm-lock',
  version: 1,
  maxFileSize: 100 * 1024 * 1024,
  required(path: string): boolean {
    const b = basename(path);
    if (underNodeModules(path)) return false; // node_modules/.package-lock.json is npm's cache of the tree
    return LOCK_NAMES.has(b) || b === 'package.json';
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('npm-lock');
    const all = [...fs.paths()].sort();
    for (const p of all) {
      if (!LOCK_NAMES.has(basename(p))) continue;
      const dir = dirname(p);
      // npm prefers npm-shrinkwrap.json over package-lock.json when both exist.
      if (basename(p) === 'package-lock.json' && fs.get(joinPath(dir, 'npm-shrinkwrap.json'))) continue;
      const f = fs.get(p);
      if (!f) continue;
      try {
        const r = parsePackageLock(text(f.content), readManifest(fs, dir));
        for (const w of r.warnings) c.warn(p, w);
        c.add(p, r.packages);
      } catch (e) {
        c.warn(p, errMsg(e));
      }
    }
    return c.result();
  },
};

/** Parses one installed package.json; undefined when it does not name a package. */
export function parseInstalledPackageJson(content: string): { pkg?: Package; warning?: string } {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { warning: error };
  if (!isObject(doc)) return { warning: 'not an object' };
  const name = str(doc['name']);
  const version = str(doc['version']);
  if (!name || !version) return {};
  // VS Code extensions and Unity packages ship a package.json too; they are not npm packages.
  if ((isObject(doc['engines']) && 'vscode' in doc['engines']) || isObject(doc['contributes'])) return {};
  if (typeof doc['unity'] === 'string') return {};
  return { pkg: npmPackage(name, version, { licences: licenceList(doc['license'] ?? doc['licenses']) }) };
}

/** `node_modules/<name>/package.json` or `node_modules/@scope/<name>/package.json`. */
export function isInstalledPackageJson(path: string): boolean {
  const s = path.split('/');
  const n = s.length;
  if (n < 3 || s[n - 1] !== 'package.json') return false;
  if (s[n - 3] === 'node_modules') return !s[n - 2]!.startsWith('.') && !s[n - 2]!.startsWith('@');
  if (n >= 4 && s[n - 4] === 'node_modules') return s[n - 3]!.startsWith('@');
  return false;
}

/** Installed packages: node_modules/**\/package.json (the root project's own package.json is not one). */
export const npmInstalledAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'npm-installed',
  version: 1,
  maxFileSize: 5 * 1024 * 1024,
  required(path: string, _info: FileInfo): boolean {
    return isInstalledPackageJson(path);
  },
  analyze(file: AnalysisFile) {
    const c = new Collector('npm-installed');
    const r = parseInstalledPackageJson(text(file.content));
    if (r.warning) c.warn(file.path, r.warning);
    if (r.pkg) c.add(file.path, [r.pkg]);
    return c.result();
  },
};
