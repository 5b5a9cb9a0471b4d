// Rust: Cargo.lock (`[[package]]` tables; local workspace crates have no `source` and are kept,
// as osv-scalibr does) and binaries built with cargo-auditable, whose ELF section `.dep-v0`
// holds zlib-compressed JSON of the dependency tree. Cargo.lock alone cannot tell dev crates
// apart (it locks dev-dependencies too); with the Cargo.toml beside it (and the workspace
// members' manifests below it), crates reachable only from `[dev-dependencies]` are dev, as
// Trivy's cargo analyzer decides (Trivy drops them; we keep them flagged).
import { inflateSync } from 'node:zlib';
import type { AnalysisFile, FileAnalyzer, FileInfo, GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { elfSection, parseElf } from './binary.ts';
import { isObject } from '@assay/kit';
import { readDocument } from './document.ts';
import { Collector, basename, dirname, errMsg, joinPath, keysOf, makePackage, str, text } from './util.ts';

export function cargoPackage(name: string, version: string, extra: Partial<Pick<Package, 'dependsOn' | 'indirect' | 'dev'>> = {}): Package {
  return makePackage({ type: 'cargo', name, version, ...extra });
}

export function parseCargoLock(content: string): { packages: Package[]; warnings: string[]; local: Set<string> } {
  const local = new Set<string>();
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { packages: [], warnings: [error], local };
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
    // No `source`: a crate of this project (the root, a workspace member, a path dependency).
    if (p['source'] === undefined) local.add(name);
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
  return { packages, warnings: [], local };
}

/** What a Cargo.toml says of a crate's dependencies (names as locked: `package = "…"` renames resolved). */
export interface CargoManifest {
  /** `[package] name`; undefined for a virtual workspace manifest. */
  name?: string;
  /** `[dependencies]` and `[build-dependencies]`, also per `[target.*]`: needed to build or run. */
  prod: Set<string>;
  /** `[dev-dependencies]`, also per `[target.*]`: tests, examples, benches only. */
  dev: Set<string>;
}

export function parseCargoToml(content: string): { manifest?: CargoManifest; error?: string } {
  const { doc, error } = readDocument(content, 'TOML');
  if (error !== undefined) return { error };
  if (!isObject(doc)) return { error: 'not a Cargo.toml table' };
  const names = (table: unknown): string[] =>
    keysOf(table).map((k) => {
      const spec = (table as Record<string, unknown>)[k];
      return (isObject(spec) ? str(spec['package']) : undefined) ?? k;
    });
  const prod = new Set<string>();
  const dev = new Set<string>();
  const tables = [doc, ...Object.values(isObject(doc['target']) ? doc['target'] : {})].filter(isObject);
  for (const t of tables) {
    for (const n of [...names(t['dependencies']), ...names(t['build-dependencies'])]) prod.add(n);
    for (const n of names(t['dev-dependencies'])) dev.add(n);
  }
  const pkg = doc['package'];
  const name = isObject(pkg) ? str(pkg['name']) : undefined;
  return { manifest: { ...(name ? { name } : {}), prod, dev } };
}

/**
 * Flags dev crates: reachable from some manifest's dev-dependencies and from none of its
 * dependencies. The graph is the lock's (dependsOn); a local crate with a manifest is entered
 * through its manifest, since its lock entry lists its dev-dependencies too. Crates reached from
 * neither are left as they are.
 */
export function markCargoDev(packages: readonly Package[], manifests: readonly CargoManifest[]): Package[] {
  const byId = new Map(packages.map((p) => [`${p.name}@${p.version}`, p]));
  const idsByName = new Map<string, string[]>();
  for (const id of byId.keys()) {
    const n = byId.get(id)!.name;
    idsByName.set(n, [...(idsByName.get(n) ?? []), id]);
  }
  const manifestOf = new Map<string, CargoManifest>();
  for (const m of manifests) if (m.name && idsByName.has(m.name)) manifestOf.set(m.name, m);
  // A manifest's dependency names → locked ids: through its own lock entry when it has one (the
  // exact versions it locked), else every locked version of that name.
  const rootsOf = (m: CargoManifest, wanted: Set<string>): string[] => {
    const own = m.name ? (idsByName.get(m.name) ?? []).flatMap((id) => byId.get(id)?.dependsOn ?? []) : [];
    const out = own.filter((id) => wanted.has(byId.get(id)?.name ?? ''));
    const found = new Set(out.map((id) => byId.get(id)?.name));
    for (const n of wanted) if (!found.has(n)) out.push(...(idsByName.get(n) ?? []));
    return out;
  };
  const reach = (start: readonly string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id) || !byId.has(id)) continue;
      seen.add(id);
      const p = byId.get(id)!;
      const m = manifestOf.get(p.name);
      stack.push(...(m ? rootsOf(m, m.prod) : (p.dependsOn ?? [])));
    }
    return seen;
  };
  const prodStart: string[] = [];
  const devStart: string[] = [];
  for (const m of manifests) {
    if (m.name) prodStart.push(...(idsByName.get(m.name) ?? []));
    prodStart.push(...rootsOf(m, m.prod));
    devStart.push(...rootsOf(m, new Set([...m.dev].filter((n) => !m.prod.has(n)))));
  }
  const prod = reach(prodStart);
  const dev = reach(devStart);
  return packages.map((p) => {
    const id = `${p.name}@${p.version}`;
    return dev.has(id) && !prod.has(id) ? { ...p, dev: true } : p;
  });
}

/**
 * Cargo's caches of downloaded crates (`~/.cargo`, the images' `/usr/local/cargo`) and vendored
 * trees hold thousands of Cargo.toml files, none a project's own: not collected.
 */
const CARGO_CACHE = /(^|\/)(\.?cargo\/(registry|git)|vendor)\//;

export const cargoLockAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'cargo-lock',
  version: 2,
  maxFileSize: 20 * 1024 * 1024,
  required: (path: string) => {
    const b = basename(path);
    return b === 'Cargo.lock' || (b === 'Cargo.toml' && !CARGO_CACHE.test(path));
  },
  analyzeGroup(fs: VirtualFs) {
    const c = new Collector('cargo-lock');
    const all = [...fs.paths()].sort();
    for (const p of all) {
      if (basename(p) !== 'Cargo.lock') continue;
      const f = fs.get(p);
      if (!f) continue;
      const r = parseCargoLock(text(f.content));
      for (const w of r.warnings) c.warn(p, w);
      const dir = dirname(p);
      const rootToml = joinPath(dir, 'Cargo.toml');
      if (!fs.get(rootToml) || r.packages.length === 0) {
        c.add(p, r.packages);
        continue;
      }
      // The root manifest, and the manifests of this project's own crates below it (workspace members).
      const manifests: CargoManifest[] = [];
      for (const t of all) {
        if (basename(t) !== 'Cargo.toml' || !(t === rootToml || dir === '' || t.startsWith(`${dir}/`))) continue;
        const tf = fs.get(t);
        if (!tf) continue;
        const m = parseCargoToml(text(tf.content));
        if (m.error !== undefined) {
          if (t === rootToml) c.warn(t, `${m.error}; dev dependencies of ${p} not told apart`);
          continue;
        }
        if (t === rootToml || (m.manifest?.name !== undefined && r.local.has(m.manifest.name))) manifests.push(m.manifest!);
      }
      try {
        c.add(p, manifests.length ? markCargoDev(r.packages, manifests) : r.packages);
      } catch (e) {
        c.warn(p, errMsg(e));
        c.add(p, r.packages);
      }
    }
    return c.result();
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
