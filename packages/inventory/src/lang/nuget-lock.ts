// NuGet `packages.lock.json` (lock file version 1 and 2, written with
// RestorePackagesWithLockFile): `dependencies` keyed by target framework, each naming its
// packages with `type` (Direct, Transitive, CentralTransitive, Project) and `resolved` version.
// A package locked for several frameworks is one package; direct if any framework has it Direct.
// Project entries are the solution's own projects, not NuGet packages (Trivy skips them too).
import { isObject } from '@assay/kit';
import type { AnalysisFile, FileAnalyzer, FileInfo, Package } from '../analyzer.ts';
import { readDocument } from './document.ts';
import { basename, dedupe, makePackage, parsedResult, pkgId, str, text, type Parsed } from './util.ts';

export function parseNugetLock(content: string): Parsed {
  const { doc, error } = readDocument(content, 'JSON');
  if (error !== undefined) return { packages: [], warnings: [error] };
  if (!isObject(doc)) return { packages: [], warnings: ['not a packages.lock.json object'] };
  const warnings: string[] = [];
  const version = doc['version'];
  if (typeof version === 'number' && (version < 1 || version > 2))
    warnings.push(`lock file version ${version} is not known; read as version 2`);
  if (!isObject(doc['dependencies'])) return { packages: [], warnings: [...warnings, 'no dependencies in packages.lock.json'] };

  const packages: Package[] = [];
  for (const [framework, deps] of Object.entries(doc['dependencies'])) {
    if (!isObject(deps)) {
      warnings.push(`target ${framework}: not an object`);
      continue;
    }
    for (const [name, e] of Object.entries(deps)) {
      if (!isObject(e)) continue;
      const type = str(e['type']);
      if (type === 'Project') continue;
      const resolved = str(e['resolved']);
      if (!resolved) {
        warnings.push(`target ${framework}: ${name} has no resolved version`);
        continue;
      }
      // A dependency's version is the one this framework resolved for it (its own entry).
      const dependsOn: string[] = [];
      if (isObject(e['dependencies']))
        for (const dn of Object.keys(e['dependencies'])) {
          const d = deps[dn];
          const dv = isObject(d) && d['type'] !== 'Project' ? str(d['resolved']) : undefined;
          if (dv) dependsOn.push(pkgId(dn, dv));
        }
      packages.push(makePackage({ type: 'nuget', name, version: resolved, indirect: type !== 'Direct', dependsOn }));
    }
  }
  return { packages: dedupe(packages), warnings };
}

export const nugetLockAnalyzer: FileAnalyzer = {
  kind: 'file',
  type: 'nuget-lock',
  version: 1,
  maxFileSize: 20 * 1024 * 1024,
  required: (path: string, _info: FileInfo) => basename(path) === 'packages.lock.json',
  analyze(file: AnalysisFile) {
    return parsedResult('nuget-lock', file.path, parseNugetLock(text(file.content)));
  },
};
