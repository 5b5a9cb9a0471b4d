// PHP Composer: composer.lock (`packages`, `packages-dev`) and what Composer installed,
// vendor/composer/installed.json (v1: an array; v2: `{packages, dev, dev-package-names}`).
import { isObject } from '@assay/kit';
import type { GroupAnalyzer, Package, VirtualFs } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { analyzeEachFile, basename, licenceList, makePackage, str } from './util.ts';

export function composerPackage(
  name: string,
  version: string,
  extra: Partial<Pick<Package, 'licences' | 'dev' | 'dependsOn'>> = {},
): Package {
  const i = name.indexOf('/');
  return makePackage({
    type: 'composer',
    name,
    version,
    namespace: i > 0 ? name.slice(0, i) : undefined,
    purlName: i > 0 ? name.slice(i + 1) : name,
    ...extra,
  });
}

function fromList(list: unknown, dev: (name: string) => boolean): Package[] {
  if (!Array.isArray(list)) return [];
  const entries = list.filter(isObject);
  const versionOf = new Map<string, string>();
  for (const e of entries) {
    const n = str(e['name']);
    const v = str(e['version']);
    if (n && v) versionOf.set(n.toLowerCase(), v);
  }
  const out: Package[] = [];
  for (const e of entries) {
    const name = str(e['name']);
    const version = str(e['version']);
    if (!name || !version) continue;
    const deps = isObject(e['require'])
      ? Object.keys(e['require'])
          .map((d) => d.toLowerCase())
          .filter((d) => versionOf.has(d))
          .map((d) => `${d}@${versionOf.get(d)}`)
      : [];
    out.push(composerPackage(name, version, { licences: licenceList(e['license']), dev: dev(name), dependsOn: deps }));
  }
  return out;
}

export function parseComposerLock(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a composer.lock object'] };
  // Lists are resolved separately: the same name can appear in both with different versions.
  return { packages: [...fromList(doc['packages'], () => false), ...fromList(doc['packages-dev'], () => true)], warnings: [] };
}

export function parseInstalledJson(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (Array.isArray(doc)) return { packages: fromList(doc, () => false), warnings: [] };
  if (!isObject(doc)) return { packages: [], warnings: ['not an installed.json document'] };
  const devNames = new Set(
    Array.isArray(doc['dev-package-names']) ? doc['dev-package-names'].filter((x): x is string => typeof x === 'string') : [],
  );
  return { packages: fromList(doc['packages'], (n) => devNames.has(n)), warnings: [] };
}

const isInstalled = (p: string) => /(^|\/)vendor\/composer\/installed\.json$/.test(p);

export const composerAnalyzer: GroupAnalyzer = {
  kind: 'group',
  type: 'composer',
  version: 1,
  maxFileSize: 50 * 1024 * 1024,
  required: (path: string) => (basename(path) === 'composer.lock' && !path.includes('vendor/')) || isInstalled(path),
  analyzeGroup(fs: VirtualFs) {
    return analyzeEachFile('composer', fs, (content, p) => (isInstalled(p) ? parseInstalledJson(content) : parseComposerLock(content)));
  },
};
