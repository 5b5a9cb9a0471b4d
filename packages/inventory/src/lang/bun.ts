// Bun: `bun.lock`, the text lockfile since Bun 1.2 (JSON with trailing commas, JSONC). Its
// `packages` map is keyed by install path (`chalk`, `supports-color/has-flag` for a nested copy)
// and each value is a tuple whose first element is `name@version`:
//   npm:        ["name@1.0.0", "<registry>", {dependencies…}, "sha512-…"]
//   git/github: ["name@github:owner/repo#abc1234", {…}, "<id>"]
//   file/link:  ["name@file:path", {…}];  workspace: ["name@workspace:path"]
// `workspaces` holds each workspace's manifest dependencies ("" is the root). Workspace and
// local file/link packages are not registry packages and are skipped. Direct = named by a
// workspace; dev = not reachable from any workspace's dependencies/optional/peer (only from
// devDependencies). The binary `bun.lockb` (before 1.2) is not read: a warning says so.
import { isObject } from '@assay/kit';
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { lockVersion, npmPackage } from './npm.ts';
import { readDocument } from './document.ts';
import { Collector, basename, dirname, joinPath, keysOf, pkgId, text, type Parsed } from './util.ts';

export const BUN_LOCKB_WARNING = 'bun.lockb (binary) is not read: run `bun install --save-text-lockfile`';

/**
 * JSONC → JSON: drops `//` and `/* *\/` comments and commas before `}` or `]`, leaving strings
 * untouched. Bun writes trailing commas everywhere; JSON.parse refuses them.
 */
export function jsoncToJson(s: string): string {
  let out = '';
  let i = 0;
  let pendingComma = -1; // index in `out` of a comma that may turn out to be trailing
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out += s.slice(i, j + 1);
      pendingComma = -1;
      i = j + 1;
    } else if (c === '/' && s[i + 1] === '/') {
      const nl = s.indexOf('\n', i);
      i = nl < 0 ? s.length : nl;
    } else if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      i = end < 0 ? s.length : end + 2;
    } else if (c === ',') {
      pendingComma = out.length;
      out += c;
      i++;
    } else if (c === '}' || c === ']') {
      if (pendingComma >= 0) out = out.slice(0, pendingComma) + out.slice(pendingComma + 1);
      pendingComma = -1;
      out += c;
      i++;
    } else {
      if (!/\s/.test(c)) pendingComma = -1;
      out += c;
      i++;
    }
  }
  return out;
}

/** `@scope/name@1.0.0` → name and the rest (version or specifier). */
function splitIdent(ident: string): { name: string; spec: string } | undefined {
  const at = ident.indexOf('@', 1);
  if (at <= 0) return undefined;
  return { name: ident.slice(0, at), spec: ident.slice(at + 1) };
}

/** Install-path key → its package-name segments (`@types/bun/undici-types` → [`@types/bun`, `undici-types`]). */
function keySegments(key: string): string[] {
  const raw = key.split('/');
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) out.push(raw[i]!.startsWith('@') && i + 1 < raw.length ? `${raw[i]}/${raw[++i]}` : raw[i]!);
  return out;
}

interface Entry {
  key: string;
  name: string;
  version: string;
  deps: string[];
}

function depNames(info: Record<string, unknown> | undefined): string[] {
  if (!info) return [];
  return [...new Set(['dependencies', 'optionalDependencies', 'peerDependencies'].flatMap((f) => keysOf(info[f])))];
}

export function parseBunLock(content: string): Parsed {
  const { doc, error } = readDocument(jsoncToJson(content), 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a bun.lock object'] };
  const warnings: string[] = [];
  const pkgs = isObject(doc['packages']) ? doc['packages'] : {};

  const entries = new Map<string, Entry>(); // by install-path key
  for (const [key, v] of Object.entries(pkgs)) {
    if (!Array.isArray(v) || typeof v[0] !== 'string') {
      warnings.push(`package "${key}": not a [name@version, …] tuple`);
      continue;
    }
    const id = splitIdent(v[0]);
    if (!id) {
      warnings.push(`package "${key}": cannot read name@version from "${v[0]}"`);
      continue;
    }
    if (id.spec.startsWith('workspace:')) continue;
    const lv = lockVersion(id.spec, id.name); // git commits kept, file:/link:/tarball URLs dropped
    if (!lv) continue;
    const info = v.slice(1).find(isObject);
    entries.set(key, { key, name: lv.name, version: lv.version, deps: depNames(info) });
  }

  // Node-style resolution over install paths: `a/b` requiring `c` finds `a/b/c`, `a/c`, then `c`.
  const resolve = (from: string[], dep: string): Entry | undefined => {
    for (let n = from.length; n >= 0; n--) {
      const e = entries.get([...from.slice(0, n), dep].join('/'));
      if (e) return e;
    }
    return undefined;
  };
  const depsOf = (e: Entry) => e.deps.map((d) => resolve(keySegments(e.key), d)).filter((x): x is Entry => x !== undefined && x !== e);

  const workspaces = isObject(doc['workspaces']) ? Object.entries(doc['workspaces']).filter(([, w]) => isObject(w)) : [];
  const direct = new Set<Entry>();
  const prodRoots: Entry[] = [];
  for (const [wsPath, ws] of workspaces as [string, Record<string, unknown>][]) {
    // A workspace's own dependencies live under its name (`my-app/lodash`) when hoisting failed.
    const wsName = typeof ws['name'] === 'string' && wsPath !== '' ? [ws['name']] : [];
    for (const f of ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies']) {
      for (const n of keysOf(ws[f])) {
        const e = resolve(wsName, n);
        if (!e) continue;
        direct.add(e);
        if (f !== 'devDependencies') prodRoots.push(e);
      }
    }
  }
  const prod = new Set<Entry>(prodRoots);
  const stack = [...prodRoots];
  while (stack.length) for (const d of depsOf(stack.pop()!)) if (!prod.has(d)) (prod.add(d), stack.push(d));

  const haveWorkspaces = workspaces.length > 0;
  const packages: Package[] = [...entries.values()].map((e) =>
    npmPackage(e.name, e.version, {
      dependsOn: depsOf(e).map((d) => pkgId(d.name, d.version)),
      dev: haveWorkspaces && !prod.has(e),
      ...(haveWorkspaces ? { indirect: !direct.has(e) } : {}),
    }),
  );
  return { packages, warnings };
}

function underNodeModules(p: string): boolean {
  return p.startsWith('node_modules/') || p.includes('/node_modules/');
}

export const bunLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'bun-lock',
  version: 1,
  maxFileSize: 100 * 1024 * 1024,
  required(path: string): boolean {
    const b = basename(path);
    // Lockfiles inside node_modules came with a package; they do not say what is installed.
    return (b === 'bun.lock' || b === 'bun.lockb') && !underNodeModules(path);
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('bun-lock');
    for (const p of [...fs.paths()].sort()) {
      const f = fs.get(p);
      if (!f) continue;
      if (basename(p) === 'bun.lockb') {
        // Beside a bun.lock, the binary one is a leftover: the text lockfile is what Bun reads.
        if (!fs.get(joinPath(dirname(p), 'bun.lock'))) c.warn(p, BUN_LOCKB_WARNING);
        continue;
      }
      c.addParsed(p, parseBunLock(text(f.content)));
    }
    return c.result();
  },
};
