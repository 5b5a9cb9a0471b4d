// .NET: `*.deps.json`, written next to every built app; `libraries` keyed `Name/Version`, of
// which type `package` are NuGet packages (`project` is the app itself, `reference` a DLL).
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { makePackage, parsedResult, str, text } from './util.ts';

export function nugetPackage(name: string, version: string, extra: Partial<Pick<Package, 'dependsOn'>> = {}): Package {
  return makePackage({ type: 'nuget', name, version, ...extra });
}

export function parseDepsJson(content: string): { packages: Package[]; warnings: string[] } {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc) || !isObject(doc['libraries'])) return { packages: [], warnings: ['no libraries in deps.json'] };
  // Dependencies are recorded per target: `targets[tfm]["Name/Version"].dependencies`.
  const deps = new Map<string, string[]>();
  if (isObject(doc['targets'])) {
    for (const t of Object.values(doc['targets'])) {
      if (!isObject(t)) continue;
      for (const [id, e] of Object.entries(t)) {
        if (!isObject(e) || !isObject(e['dependencies'])) continue;
        const list = Object.entries(e['dependencies'])
          .filter(([, v]) => typeof v === 'string')
          .map(([n, v]) => `${n}@${v as string}`);
        deps.set(id, [...(deps.get(id) ?? []), ...list]);
      }
    }
  }
  const packages: Package[] = [];
  for (const [id, lib] of Object.entries(doc['libraries'])) {
    if (!isObject(lib) || str(lib['type']) !== 'package') continue;
    const slash = id.lastIndexOf('/');
    if (slash <= 0) continue;
    packages.push(nugetPackage(id.slice(0, slash), id.slice(slash + 1), { dependsOn: deps.get(id) ?? [] }));
  }
  return { packages, warnings: [] };
}

export const dotnetDepsAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'dotnet-deps',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required: (path: string, _info: FileInfo) => path.endsWith('.deps.json'),
  analyze(file: AnalysisFile) {
    return parsedResult('dotnet-deps', file.path, parseDepsJson(text(file.content)));
  },
};
