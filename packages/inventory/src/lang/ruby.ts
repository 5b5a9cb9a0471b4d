// Ruby: installed gems (`specifications/*.gemspec`, the Ruby that RubyGems writes at install
// time — read with patterns, never evaluated) and Gemfile.lock (GEM/GIT/PATH `specs:` sections,
// by indentation: 4 spaces a gem, 6 spaces its dependencies; DEPENDENCIES lists direct ones).
import type { AnalysisFile, FileAnalyzer, FileInfo, GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { Collector, analyzeEachFile, basename, makePackage, text } from './util.ts';

export function gemPackage(
  name: string,
  version: string,
  extra: Partial<Pick<Package, 'licences' | 'indirect' | 'dependsOn'>> = {},
): Package {
  return makePackage({ type: 'gem', name, version, ...extra });
}

const STR = `["']([^"']+)["']`;

export function parseGemspec(s: string): Package | undefined {
  const name = new RegExp(`\\.name\\s*=\\s*${STR}`).exec(s)?.[1];
  const version = (new RegExp(`\\.version\\s*=\\s*(?:Gem::Version\\.new\\(\\s*)?${STR}`).exec(s) ?? undefined)?.[1];
  if (!name || !version) return undefined;
  const licences: string[] = [];
  const list = /\.licenses\s*=\s*\[([^\]]*)\]/.exec(s)?.[1];
  if (list) for (const m of list.matchAll(/["']([^"']+)["']/g)) licences.push(m[1]!);
  const one = new RegExp(`\\.license\\s*=\\s*${STR}`).exec(s)?.[1];
  if (one) licences.push(one);
  return gemPackage(name, version, { licences });
}

export const gemspecAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'gemspec',
  version: 1,
  maxFileSize: 1024 * 1024,
  required(path: string, _info: FileInfo): boolean {
    return /(^|\/)specifications\/[^/]+\.gemspec$/.test(path);
  },
  analyze(file: AnalysisFile) {
    const c = new Collector('gemspec');
    const p = parseGemspec(text(file.content));
    if (p) c.add(file.path, [p]);
    else c.warn(file.path, 'no name and version found');
    return c.result();
  },
};

/** Parses Gemfile.lock; direct/indirect when it has a DEPENDENCIES section. */
export function parseGemfileLock(s: string): { packages: Package[]; warnings: string[] } {
  const gems: { name: string; version: string; deps: string[] }[] = [];
  const direct = new Set<string>();
  let section = '';
  let inSpecs = false;
  let cur: { name: string; version: string; deps: string[] } | undefined;
  let haveDependencies = false;
  for (const line of s.split(/\r?\n/)) {
    if (/^[A-Z]/.test(line)) {
      section = line.trim();
      inSpecs = false;
      cur = undefined;
      if (section === 'DEPENDENCIES') haveDependencies = true;
      continue;
    }
    if (section === 'DEPENDENCIES') {
      const m = /^ {2}([^\s!(]+)/.exec(line);
      if (m) direct.add(m[1]!);
      continue;
    }
    if (!['GEM', 'GIT', 'PATH', 'PLUGIN SOURCE'].includes(section)) continue;
    if (/^ {2}specs:\s*$/.test(line)) {
      inSpecs = true;
      continue;
    }
    if (!inSpecs) continue;
    const g = /^ {4}(\S+) \(([^)]+)\)\s*$/.exec(line);
    if (g) {
      // `nokogiri (1.13.3-x86_64-linux)`: the platform is not part of the version.
      cur = { name: g[1]!, version: g[2]!.split('-')[0]!, deps: [] };
      gems.push(cur);
      continue;
    }
    const d = /^ {6}(\S+)/.exec(line);
    if (d && cur) cur.deps.push(d[1]!);
  }
  const versionOf = new Map(gems.map((g) => [g.name, g.version]));
  const packages = gems.map((g) =>
    gemPackage(g.name, g.version, {
      dependsOn: g.deps.filter((n) => versionOf.has(n)).map((n) => `${n}@${versionOf.get(n)}`),
      ...(haveDependencies ? { indirect: !direct.has(g.name) } : {}),
    }),
  );
  return { packages, warnings: [] };
}

export const bundlerAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'bundler',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required: (path: string) => basename(path) === 'Gemfile.lock' || basename(path) === 'gems.locked',
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('bundler', fs, parseGemfileLock);
  },
};
