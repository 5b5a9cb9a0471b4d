// Shared helpers for the language analyzers: building packages and results, path tests,
// tolerant parsing. Analyzers never throw on bad input: they collect warnings instead.
import { isObject } from '@assay/kit';
import type { AnalysisResult, Package, PackageSet, VirtualFs } from '../analyzer.ts';
import { purl, type PurlParts } from '../purl.ts';

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function joinPath(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** `a/b/../c` → `a/c`; leading `./` dropped. Keeps results inside the layer (no `..` escapes). */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

export function segments(p: string): string[] {
  return p.split('/');
}

export interface PkgInput {
  name: string;
  version: string;
  type: string;
  namespace?: string | undefined;
  purlName?: string | undefined;
  qualifiers?: Record<string, string | undefined>;
  licences?: readonly string[] | undefined;
  dev?: boolean | undefined;
  indirect?: boolean | undefined;
  dependsOn?: readonly string[] | undefined;
}

/** A Package with its purl; optional fields only when they say something. */
export function makePackage(p: PkgInput): Package {
  const parts: PurlParts = {
    type: p.type,
    namespace: p.namespace,
    name: p.purlName ?? p.name,
    version: p.version,
    qualifiers: p.qualifiers,
  };
  let u: string;
  try {
    u = purl(parts);
  } catch {
    u = `pkg:${p.type}/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}`;
  }
  const out: { -readonly [K in keyof Package]: Package[K] } = { name: p.name, version: p.version, type: p.type, purl: u };
  const lic = (p.licences ?? []).map((l) => l.trim()).filter((l) => l !== '');
  if (lic.length) out.licences = [...new Set(lic)];
  if (p.dev) out.dev = true;
  if (p.indirect !== undefined) out.indirect = p.indirect;
  if (p.dependsOn && p.dependsOn.length) out.dependsOn = [...new Set(p.dependsOn)].sort();
  return out;
}

export function pkgId(name: string, version: string): string {
  return `${name}@${version}`;
}

/** Packages sorted and de-duplicated by purl (first wins, flags merged conservatively). */
export function dedupe(pkgs: readonly Package[]): Package[] {
  const byKey = new Map<string, Package>();
  for (const p of pkgs) {
    const k = p.purl;
    const prev = byKey.get(k);
    if (!prev) {
      byKey.set(k, p);
      continue;
    }
    // Same package reached twice: it is dev only if every occurrence is dev, indirect only if every one is.
    const merged: { -readonly [K in keyof Package]: Package[K] } = { ...prev };
    if (!p.dev) delete merged.dev;
    // Direct anywhere wins; an unknown (undefined) relationship does not override a known one.
    if (prev.indirect === undefined) {
      if (p.indirect !== undefined) merged.indirect = p.indirect;
    } else if (p.indirect !== undefined) merged.indirect = prev.indirect && p.indirect;
    const deps = new Set([...(prev.dependsOn ?? []), ...(p.dependsOn ?? [])]);
    if (deps.size) merged.dependsOn = [...deps].sort();
    const lic = new Set([...(prev.licences ?? []), ...(p.licences ?? [])]);
    if (lic.size) merged.licences = [...lic];
    byKey.set(k, merged);
  }
  return [...byKey.values()].sort((a, b) => (a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
}

/** What a lockfile or manifest parser finds in one file: its packages and what it could not read. */
export interface Parsed {
  packages: Package[];
  warnings: string[];
}

/** One collector per analyze call: package sets and warnings. */
export class Collector {
  readonly sets: PackageSet[] = [];
  readonly warnings: string[] = [];
  readonly analyzer: string;
  constructor(analyzer: string) {
    this.analyzer = analyzer;
  }
  add(path: string, pkgs: readonly Package[]): void {
    if (pkgs.length) this.sets.push({ analyzer: this.analyzer, path, packages: dedupe(pkgs.map((p) => ({ ...p, path }))) });
  }
  warn(path: string, msg: string): void {
    if (this.warnings.length < 200) this.warnings.push(`${this.analyzer}: ${path}: ${msg}`);
  }
  /** One file's parse: its packages as a set, its warnings named by the file. */
  addParsed(path: string, parsed: Parsed): void {
    for (const w of parsed.warnings) this.warn(path, w);
    this.add(path, parsed.packages);
  }
  result(): AnalysisResult | undefined {
    if (!this.sets.length && !this.warnings.length) return undefined;
    const r: { packageSets?: PackageSet[]; warnings?: string[] } = {};
    if (this.sets.length) r.packageSets = this.sets;
    if (this.warnings.length) r.warnings = this.warnings;
    return r;
  }
}

/** A file analyzer's result for one parsed file. */
export function parsedResult(analyzer: string, path: string, parsed: Parsed): AnalysisResult | undefined {
  const c = new Collector(analyzer);
  c.addParsed(path, parsed);
  return c.result();
}

/**
 * The loop of a lockfile group analyzer: each file of the group that `pick` accepts (the group
 * may also hold the manifests a parser reads beside its lockfile), in path order, parsed on its
 * own into one package set.
 */
export function analyzeEachFile(
  analyzer: string,
  fs: VirtualFs,
  parse: (content: string, path: string) => Parsed,
  pick: (path: string) => boolean = () => true,
): AnalysisResult | undefined {
  const c = new Collector(analyzer);
  for (const p of [...fs.paths()].sort()) {
    if (!pick(p)) continue;
    const f = fs.get(p);
    if (!f) continue;
    // A text format holding NUL bytes (binary, UTF-16) cannot be read: say so rather than find nothing.
    if (f.content.includes(0)) c.warn(p, 'not a text file (NUL bytes): not read');
    else c.addParsed(p, parse(text(f.content), p));
  }
  return c.result();
}

export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export function text(buf: Uint8Array): string {
  let s = utf8.decode(buf);
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  return s;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Licence fields in their many shapes: "MIT", {type: "MIT"}, ["MIT", {type}], "(MIT OR X)". */
export function licenceList(v: unknown): string[] {
  if (typeof v === 'string') return v.trim() ? [v.trim()] : [];
  if (Array.isArray(v)) return v.flatMap((x) => licenceList(x));
  if (isObject(v)) {
    const t = str(v['type']) ?? str(v['name']);
    return t ? [t] : [];
  }
  return [];
}

/** Files of a VirtualFs, sorted, filtered by a predicate. */
export function filesMatching(fs: VirtualFs, pred: (p: string) => boolean): string[] {
  return [...fs.paths()].filter(pred).sort();
}

/** Keys of an object-valued field, or []. */
export function keysOf(v: unknown): string[] {
  return isObject(v) ? Object.keys(v) : [];
}
