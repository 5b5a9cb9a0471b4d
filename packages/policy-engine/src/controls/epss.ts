// Likely exploited: a finding whose CVE's EPSS (FIRST's probability of exploitation in the next
// 30 days, and its percentile among all CVEs) is at or above the policy's threshold. Its own
// control for the same reason as kev: a verdict names it apart from severity thresholds.
import type { Control, Controls, Violation } from './types.ts';

type Config = NonNullable<Controls['epss']>;

const pct = (x: number): string => `${(x * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

export const epssControl: Control<Config> = (report, config) => {
  const violations: Violation[] = [];
  for (const v of report.vulnerabilities) {
    const e = v.epss;
    if (!e) continue;
    const byScore = config.minScore !== undefined && e.score >= config.minScore;
    const byPercentile = config.minPercentile !== undefined && e.percentile >= config.minPercentile;
    if (!byScore && !byPercentile) continue;
    const cve = e.cve ?? v.id;
    const named = cve === v.id ? v.id : `${v.id} (${cve})`;
    const limit = byScore ? `score limit ${config.minScore}` : `percentile limit ${config.minPercentile}`;
    violations.push({
      item: v.id,
      ...(v.aliases ? { aliases: v.aliases } : {}),
      severity: v.severity === 'unknown' ? 'medium' : v.severity,
      summary: `${named} in ${v.packageName} ${v.packageVersion}: EPSS ${e.score} (${pct(e.percentile)} percentile), ${limit}`,
      evidence: {
        id: v.id,
        cve,
        package: v.packageName,
        version: v.packageVersion,
        epss: e.score,
        percentile: e.percentile,
        ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
      },
      remediation: v.fixedVersion
        ? `upgrade ${v.packageName} to ${v.fixedVersion} or later`
        : `no fix yet: remove ${v.packageName}, or add an exception with an expiry`,
    });
  }
  return { violations };
};
