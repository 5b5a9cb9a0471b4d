// Known exploited: a finding whose CVE is in CISA's Known Exploited Vulnerabilities catalogue
// fails, whatever its severity — exploitation is observed, not predicted. A control of its own
// (not a field of `vulnerabilities`) so a policy can require it alone, and a verdict, its
// exceptions and the console's failing-controls list name it apart from severity thresholds.
import type { Control, Controls, Violation } from './types.ts';

type Config = NonNullable<Controls['kev']>;

export const kevControl: Control<Config> = (report, config) => {
  if (!config.block) return { violations: [] };
  const violations: Violation[] = [];
  for (const v of report.vulnerabilities) {
    const kev = v.kev;
    if (!kev) continue;
    if (config.ransomwareOnly && kev.ransomware !== true) continue;
    const cve = kev.cve ?? v.id;
    const named = cve === v.id ? v.id : `${v.id} (${cve})`;
    violations.push({
      item: v.id,
      ...(v.aliases ? { aliases: v.aliases } : {}),
      // Exploited in the wild: as urgent as a finding gets, whatever its CVSS says.
      severity: 'critical',
      summary:
        `${named} in ${v.packageName} ${v.packageVersion} is known exploited (CISA KEV since ${kev.dateAdded}` +
        `${kev.dueDate ? `, due ${kev.dueDate}` : ''}${kev.ransomware ? ', used in ransomware campaigns' : ''})`,
      evidence: {
        id: v.id,
        cve,
        package: v.packageName,
        version: v.packageVersion,
        dateAdded: kev.dateAdded,
        ...(kev.dueDate ? { dueDate: kev.dueDate } : {}),
        ...(kev.ransomware ? { ransomware: true } : {}),
        ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
      },
      remediation: v.fixedVersion
        ? `upgrade ${v.packageName} to ${v.fixedVersion} or later${kev.dueDate ? ` (CISA's deadline: ${kev.dueDate})` : ''}`
        : `no fix yet: remove ${v.packageName} or mitigate as CISA's catalogue entry for ${cve} requires`,
    });
  }
  return { violations };
};
