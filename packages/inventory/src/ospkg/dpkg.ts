// dpkg: var/lib/dpkg/status (and distroless's status.d/<pkg> files), with info/*.list and
// info/*.md5sums for the installed files and usr/share/doc/<pkg>/copyright for licences.
// Mirrors Trivy's dpkg analyzer: version split into epoch/upstream/revision, source package from
// `Source: name (version)`, dependencies resolved against the installed set.
import type { AnalysisResult, GroupAnalyzer, LayerContext, Package, PackageSet, VirtualFs } from '../analyzer.ts';
import { purl } from '../purl.ts';
import { distroQualifier, osPurlNamespace } from './common.ts';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = 'var/lib/dpkg/status.d/';
const INFO = 'var/lib/dpkg/info/';
const DOC = 'usr/share/doc/';

/**
 * Control files dpkg (or an image builder copying info/) may leave beside the status files in
 * status.d: checksums, file lists, maintainer scripts. They are no package stanzas.
 */
const CONTROL_SUFFIX =
  /\.(md5sums|sha256sums|list|conffiles|preinst|postinst|prerm|postrm|config|templates|triggers|shlibs|symbols|control)$/;

/** `var/lib/dpkg/status.d/<pkg>`: one package's status file (not a control file, not deeper). */
function isStatusDFile(path: string): boolean {
  if (!path.startsWith(STATUS_D)) return false;
  const name = path.slice(STATUS_D.length);
  return name !== '' && !name.includes('/') && !CONTROL_SUFFIX.test(name);
}

export type Stanza = Map<string, string>;

/**
 * Splits a deb822 control file into stanzas (field names as written; continuation lines joined
 * with `\n`). Lines that are neither a field nor a continuation are reported, not fatal.
 */
export function parseDeb822(text: string, warn: (msg: string) => void = () => {}): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza | undefined;
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      if (cur?.size) out.push(cur);
      cur = undefined;
      last = undefined;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && cur && last) {
      cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      warn(`line ${i + 1}: not a control field: ${JSON.stringify(line.slice(0, 60))}`);
      last = undefined;
      continue;
    }
    cur ??= new Map();
    last = line.slice(0, colon);
    cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur?.size) out.push(cur);
  return out;
}

export interface DebVersion {
  epoch?: number;
  upstream: string;
  revision?: string;
}

/** `[epoch:]upstream[-revision]` (revision after the last hyphen, as dpkg does). */
export function parseDebVersion(v: string): DebVersion {
  let rest = v.trim();
  let epoch: number | undefined;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^[0-9]+$/.test(rest.slice(0, colon))) {
    epoch = Number(rest.slice(0, colon));
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const out: DebVersion = dash > 0 ? { upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { upstream: rest };
  if (epoch) out.epoch = epoch;
  return out;
}

/** `epoch:version-release` from a Package (the inverse of the split). */
export function debFullVersion(p: Pick<Package, 'epoch' | 'version' | 'release'>): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

/** Package names a `Depends:` value mentions (alternatives included, versions and `:any` dropped). */
export function parseDepends(s: string): string[] {
  const names: string[] = [];
  for (const dep of s.split(','))
    for (const alt of dep.split('|')) {
      const name = alt
        .replace(/\(.*?\)/g, '')
        .replace(/\[.*?\]/g, '')
        .replace(/<.*?>/g, '')
        .trim()
        .replace(/:[a-z0-9-]+$/, '');
      if (name) names.push(name);
    }
  return names;
}

/** DEP-5 (machine-readable) copyright: the short names of its `License:` fields, in order. */
export function dep5Licences(text: string): string[] {
  if (!/^Format:\s*\S*(copyright-format|dep5|DEP-5)/im.test(text.slice(0, 2048))) return [];
  const out: string[] = [];
  for (const m of text.matchAll(/^License:[ \t]*(\S[^\n]*)$/gm)) {
    const name = (m[1] ?? '').trim();
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

interface Parsed {
  pkg: Package;
  depends: string[];
}

function stanzaToPackage(
  s: Stanza,
  ctx: LayerContext,
  inStatusD: boolean,
  licences: (name: string) => string[] | undefined,
): Parsed | string {
  const name = s.get('Package')?.trim();
  const version = s.get('Version')?.trim();
  if (!name) return 'stanza without Package';
  if (!version) return `package ${name}: no Version`;
  const status = s.get('Status');
  if (status !== undefined) {
    // Current state (third word) decides: `deinstall ok installed` is still on disk.
    if (status.trim().split(/\s+/)[2] !== 'installed') return '';
  } else if (!inStatusD) {
    return `package ${name}: no Status, skipped`; // main status file: not known to be installed
  }
  const v = parseDebVersion(version);
  const arch = s.get('Architecture')?.trim() || undefined;
  let srcName = name;
  let src: DebVersion = v;
  const source = s.get('Source')?.trim();
  if (source) {
    const m = /^(\S+)(?:\s*\(([^)]*)\))?/.exec(source);
    if (m?.[1]) srcName = m[1];
    if (m?.[2]) src = parseDebVersion(m[2]);
  }
  const os = ctx.os;
  const namespace = osPurlNamespace('deb', os?.family);
  const lic = licences(name);
  const pkg: Package = {
    name,
    version: v.upstream,
    type: 'deb',
    purl: purl({
      type: 'deb',
      namespace,
      name,
      version: `${v.upstream}${v.revision ? `-${v.revision}` : ''}`,
      qualifiers: { arch, distro: distroQualifier(ctx), epoch: v.epoch ? String(v.epoch) : undefined },
    }),
    ...(v.epoch ? { epoch: v.epoch } : {}),
    ...(v.revision ? { release: v.revision } : {}),
    ...(arch ? { arch } : {}),
    srcName,
    srcVersion: src.upstream,
    ...(src.epoch ? { srcEpoch: src.epoch } : {}),
    ...(src.revision ? { srcRelease: src.revision } : {}),
    ...(lic?.length ? { licences: lic } : {}),
  };
  // Depends only, as Trivy: Pre-Depends are install-time ordering, not what the package uses.
  const depends = parseDepends(s.get('Depends') ?? '');
  return { pkg, depends };
}

/** Parses one status (or status.d) file. Never throws: problems become warnings. */
export function parseDpkgStatus(
  text: string,
  ctx: LayerContext,
  opts: { statusD?: boolean; licences?: (name: string) => string[] | undefined } = {},
): { packages: Package[]; warnings: string[] } {
  const warnings: string[] = [];
  const parsed: Parsed[] = [];
  for (const s of parseDeb822(text, (m) => warnings.push(m))) {
    try {
      const r = stanzaToPackage(s, ctx, opts.statusD ?? false, opts.licences ?? (() => undefined));
      if (typeof r === 'string') {
        if (r) warnings.push(r);
      } else parsed.push(r);
    } catch (e) {
      warnings.push(`stanza ${s.get('Package') ?? '?'}: ${(e as Error).message}`);
    }
  }
  // Depends names → ids of installed packages (Trivy's consolidateDependencies).
  const byName = new Map(parsed.map((p) => [p.pkg.name, `${p.pkg.name}@${debFullVersion(p.pkg)}`]));
  const packages = parsed.map(({ pkg, depends }) => {
    const ids = [...new Set(depends.map((d) => byName.get(d)).filter((x): x is string => x !== undefined))].sort();
    return ids.length ? { ...pkg, dependsOn: ids } : pkg;
  });
  return { packages, warnings };
}

/**
 * info/<pkg>.list entries: absolute paths, directories included. Without the filesystem a
 * directory is told apart as an entry that another entry (of any package) lives under.
 */
function filesOfLists(entries: Set<string>): string[] {
  const sorted = [...entries].filter((l) => l && l !== '/.').sort();
  const out: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as string;
    const next = sorted[i + 1];
    if (next !== undefined && next.startsWith(`${e}/`)) continue; // a directory
    out.push(e.replace(/^\/+/, ''));
  }
  return out;
}

/** info/<pkg>.md5sums: `<md5>  <relative path>`. */
function md5sumsFiles(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[0-9a-f]{32}\s+(.+)$/i.exec(line.trim());
    if (m?.[1]) out.push(m[1].replace(/^\/+/, ''));
  }
  return out;
}

export const dpkgAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'dpkg',
  version: 2,
  maxFileSize: 64 * 1024 * 1024,
  required(path) {
    if (path === STATUS) return true;
    if (path.startsWith(STATUS_D)) return isStatusDFile(path);
    if (path.startsWith(INFO)) return path.endsWith('.list') || path.endsWith('.md5sums');
    // usr/share/doc/<pkg>/copyright only (not deeper copies).
    return path.startsWith(DOC) && path.endsWith('/copyright') && path.indexOf('/', DOC.length) === path.length - '/copyright'.length;
  },
  analyzeGroup(files: VirtualFs, ctx: LayerContext): AnalysisResult | undefined {
    const warnings: string[] = [];
    const packageSets: PackageSet[] = [];
    const installed = new Set<string>();
    const licenceCache = new Map<string, string[]>();
    const licences = (name: string): string[] | undefined => {
      let l = licenceCache.get(name);
      if (!l) {
        const f = files.get(`${DOC}${name}/copyright`);
        l = f ? dep5Licences(f.content.toString('utf8')) : [];
        licenceCache.set(name, l);
      }
      return l;
    };
    const statusPaths = [...files.paths()].filter((p) => p === STATUS || isStatusDFile(p)).sort();
    for (const path of statusPaths) {
      const f = files.get(path);
      if (!f) continue;
      try {
        const r = parseDpkgStatus(f.content.toString('utf8'), ctx, { statusD: path !== STATUS, licences });
        for (const w of r.warnings) warnings.push(`${path}: ${w}`);
        if (r.packages.length) packageSets.push({ analyzer: 'dpkg', path, packages: r.packages });
      } catch (e) {
        warnings.push(`${path}: ${(e as Error).message}`);
      }
    }
    const listed = new Set<string>();
    for (const path of files.paths()) {
      if (!path.startsWith(INFO)) continue;
      const f = files.get(path);
      if (!f) continue;
      const t = f.content.toString('utf8');
      if (path.endsWith('.md5sums')) for (const p of md5sumsFiles(t)) installed.add(p);
      else for (const l of t.split('\n')) listed.add(l.trim());
    }
    for (const p of filesOfLists(listed)) installed.add(p);
    if (!packageSets.length && !installed.size && !warnings.length) return undefined;
    return {
      ...(packageSets.length ? { packageSets } : {}),
      ...(installed.size ? { systemInstalledFiles: [...installed].sort() } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  },
};
