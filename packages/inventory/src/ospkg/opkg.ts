// opkg (OpenWrt, Yocto): `usr/lib/opkg/status` (OpenWrt) or `var/lib/opkg/status` (opkg's
// default), the same deb822 stanzas as dpkg's status file, with `info/<pkg>.list` naming the
// files each package installed. As osv-scalibr does: a package counts when its Status says it is
// installed (third word), the version is kept whole (`2024.10.20~252a9b0c-r1`: opkg has no
// Debian revision convention to split on), and the purl type is `opkg`. The purl carries no OS
// namespace: osv-scalibr writes os-release's ID there (`openwrt`), but OpenWrt is not an OS we
// detect, and a namespace present only when os-release sat in a lower layer would make the same
// package's purl differ between images.
import type { AnalysisResult, GroupAnalyzer, Package, PackageSet, VirtualFs } from '../analyzer.ts';
import { purl } from '../purl.ts';
import { parseDeb822, parseDepends } from './dpkg.ts';

const ROOTS = ['usr/lib/opkg/', 'var/lib/opkg/'] as const;
const STATUS = new Set(ROOTS.map((r) => `${r}status`));

function isInfoList(path: string): boolean {
  return ROOTS.some((r) => path.startsWith(`${r}info/`) && path.endsWith('.list') && !path.slice(r.length + 5).includes('/'));
}

/** One opkg package: `pkg:opkg/<name>@<version>?arch=<arch>`. */
export function opkgPackage(name: string, version: string, arch?: string): Package {
  return { name, version, type: 'opkg', purl: purl({ type: 'opkg', name, version, qualifiers: { arch } }), ...(arch ? { arch } : {}) };
}

/** Parses one opkg status file. Never throws: stanzas it cannot use become warnings. */
export function parseOpkgStatus(text: string): { packages: Package[]; warnings: string[] } {
  const warnings: string[] = [];
  const found: { pkg: Package; depends: string[] }[] = [];
  for (const s of parseDeb822(text, (m) => warnings.push(m))) {
    const name = s.get('Package')?.trim();
    const version = s.get('Version')?.trim();
    const status = s.get('Status')?.trim();
    if (!name) {
      warnings.push('stanza without Package');
      continue;
    }
    if (status === undefined) {
      warnings.push(`package ${name}: no Status, skipped`);
      continue;
    }
    // `want flag state`: only the current state says what is on disk (`purge ok installed` is).
    if (status.split(/\s+/)[2] !== 'installed') continue;
    if (!version) {
      warnings.push(`package ${name}: no Version`);
      continue;
    }
    const arch = s.get('Architecture')?.trim() || undefined;
    found.push({ pkg: opkgPackage(name, version, arch), depends: parseDepends(s.get('Depends') ?? '') });
  }
  const byName = new Map(found.map(({ pkg }) => [pkg.name, `${pkg.name}@${pkg.version}`]));
  const packages = found.map(({ pkg, depends }) => {
    const ids = [...new Set(depends.map((d) => byName.get(d)).filter((x): x is string => x !== undefined))].sort();
    return ids.length ? { ...pkg, dependsOn: ids } : pkg;
  });
  return { packages, warnings };
}

/**
 * info/<pkg>.list lines: an absolute path, for a symlink followed by a tab and its target.
 * Directories, when listed, are told apart as entries another entry lives under.
 */
export function opkgListedFiles(lists: readonly string[]): string[] {
  const entries = new Set<string>();
  for (const t of lists)
    for (const line of t.split('\n')) {
      const p = line.split('\t')[0]?.trim().replace(/^\/+/, '');
      if (p) entries.add(p);
    }
  const sorted = [...entries].sort();
  return sorted.filter((e, i) => !sorted[i + 1]?.startsWith(`${e}/`));
}

export const opkgAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'opkg',
  version: 1,
  maxFileSize: 64 * 1024 * 1024,
  required: (path) => STATUS.has(path) || isInfoList(path),
  analyzeGroup(files: VirtualFs): AnalysisResult | undefined {
    const warnings: string[] = [];
    const packageSets: PackageSet[] = [];
    const lists: string[] = [];
    for (const path of [...files.paths()].sort()) {
      const f = files.get(path);
      if (!f) continue;
      if (isInfoList(path)) {
        lists.push(f.content.toString('utf8'));
        continue;
      }
      const r = parseOpkgStatus(f.content.toString('utf8'));
      for (const w of r.warnings) warnings.push(`${path}: ${w}`);
      if (r.packages.length) packageSets.push({ analyzer: 'opkg', path, packages: r.packages });
    }
    const installed = opkgListedFiles(lists);
    if (!packageSets.length && !installed.length && !warnings.length) return undefined;
    return {
      ...(packageSets.length ? { packageSets } : {}),
      ...(installed.length ? { systemInstalledFiles: installed } : {}),
      ...(warnings.length ? { warnings } : {}),
    };
  },
};
