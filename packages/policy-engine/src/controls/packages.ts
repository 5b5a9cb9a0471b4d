// Required and forbidden packages, by name (and type), optionally within a version range, its
// versions ordered by the package type's ecosystem (@assay/versions: dpkg for deb, PEP 440 for pypi…).
import { comparableVersion, ecosystemForType, satisfiesRange, type VersionedPackage } from '@assay/versions';
import type { Control, Controls, Violation } from './types.ts';

type Config = NonNullable<Controls['packages']>;
type Rule = NonNullable<Config['denied']>[number];

function matches(p: VersionedPackage & { name: string }, rule: Rule): boolean | undefined {
  if (p.name !== rule.name || (rule.type !== undefined && p.type !== rule.type)) return false;
  // deb and rpm versions are stored split (epoch, version, release): compared whole.
  return rule.versions === undefined ? true : satisfiesRange(ecosystemForType(p.type), comparableVersion(p), rule.versions);
}

export const packagesControl: Control<Config> = (report, config) => {
  const violations: Violation[] = [];
  for (const rule of config.denied ?? []) {
    for (const p of report.packages) {
      // A version we cannot compare is treated as within the range: forbidding errs on refusing.
      if (matches(p, rule) === false) continue;
      violations.push({
        item: p.name,
        severity: 'high',
        summary: `forbidden package ${p.name} ${p.version}${rule.versions ? ` (${rule.versions})` : ''}`,
        evidence: { package: p.name, version: p.version, type: p.type, rule: rule.versions ?? '*' },
        remediation: `remove ${p.name}${rule.versions ? ` or move it out of ${rule.versions}` : ''}`,
      });
    }
  }
  for (const rule of config.required ?? []) {
    const present = report.packages.filter((p) => p.name === rule.name && (rule.type === undefined || p.type === rule.type));
    if (present.some((p) => matches(p, rule) === true)) continue;
    violations.push({
      item: rule.name,
      severity: 'medium',
      summary:
        present.length === 0
          ? `required package ${rule.name} is missing`
          : `required package ${rule.name} ${present.map((p) => p.version).join(', ')} is not within ${rule.versions}`,
      evidence: { package: rule.name, found: present.map((p) => p.version), rule: rule.versions ?? '*' },
      remediation: `install ${rule.name}${rule.versions ? ` ${rule.versions}` : ''}`,
    });
  }
  return { violations };
};
