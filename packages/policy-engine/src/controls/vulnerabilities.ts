// Vulnerabilities: severity ceiling, CVSS threshold, only-with-fix, block list, allow list
// (with per-entry reason and expiry), a grace period after a fix was published, and OpenVEX
// statements from trusted signers or in VEX documents the policy names that excuse findings (each
// recorded as a suppression).
import { SEVERITIES, type Severity } from '@assay/domain';
import { earliest, type Control, type Controls, type Suppression, type Violation } from './types.ts';
import { VexIndex } from './vex.ts';
import { documentSuppression, VexDocumentIndex } from '../vex/match.ts';

type Config = NonNullable<Controls['vulnerabilities']>;

const rank = (s: Severity): number => SEVERITIES.indexOf(s);
const DAY_MS = 86_400_000;

/**
 * When the fix was published: the report's `fixPublishedAt`, which the scanner copies from the
 * advisory's OSV `published` time (OSV has no per-fix date). Absent or unparseable: no grace.
 */
function fixDate(v: { fixPublishedAt?: string | undefined }): Date | undefined {
  if (v.fixPublishedAt === undefined) return undefined;
  const d = new Date(v.fixPublishedAt);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export const vulnerabilitiesControl: Control<Config> = (report, config, { now, vexDocuments }) => {
  const deny = new Set(config.deny ?? []);
  const allow = new Set(config.allow ?? []);
  let changesAt: Date | undefined;
  for (const e of config.allowList ?? []) {
    if (!e.expiresAt || e.expiresAt.getTime() > now.getTime()) allow.add(e.id);
    if (e.expiresAt && e.expiresAt.getTime() > now.getTime()) changesAt = earliest(changesAt, e.expiresAt);
  }
  const max = rank(config.maxSeverity);
  const violations: Violation[] = [];
  const vex = config.vex ? new VexIndex(report, config.vex) : undefined;
  const documents = vexDocuments && vexDocuments.length > 0 ? new VexDocumentIndex(report, vexDocuments) : undefined;
  const suppressed: Suppression[] = [];
  for (const v of report.vulnerabilities) {
    const ids = [v.id, ...(v.aliases ?? [])];
    const denied = ids.some((id) => deny.has(id));
    if (!denied) {
      if (ids.some((id) => allow.has(id))) continue;
      if (config.ignoreUnfixed && !v.fixedVersion) continue;
      // `unknown` severity ranks below negligible in SEVERITIES; it fails only by CVSS or the block list.
      const bySeverity = v.severity !== 'unknown' && rank(v.severity) < max;
      const byCvss = config.maxCvss !== undefined && v.cvss !== undefined && v.cvss >= config.maxCvss;
      if (!bySeverity && !byCvss) continue;
      if (config.gracePeriodDays !== undefined && v.fixedVersion) {
        const fixed = fixDate(v);
        if (fixed) {
          const graceEnds = new Date(fixed.getTime() + config.gracePeriodDays * DAY_MS);
          if (graceEnds.getTime() > now.getTime()) {
            changesAt = earliest(changesAt, graceEnds);
            continue;
          }
        }
      }
    }
    // The block list is the policy author's own word: a vendor's statement does not overrule it.
    // A signed statement first: it names who vouches for it; a named document is the author's own.
    const stated = denied ? undefined : documents?.suppressing(v);
    const excused = denied ? undefined : (vex?.suppression(v) ?? (stated ? documentSuppression(v, stated) : undefined));
    if (excused) {
      suppressed.push(excused);
      continue;
    }
    const why = denied ? 'on the block list' : v.cvss !== undefined ? `${v.severity}, CVSS ${v.cvss}` : v.severity;
    violations.push({
      item: v.id,
      ...(v.aliases ? { aliases: v.aliases } : {}),
      severity: v.severity,
      summary: `${v.id} in ${v.packageName} ${v.packageVersion} (${why})${v.fixedVersion ? `, fixed in ${v.fixedVersion}` : ', no fix'}`,
      evidence: {
        id: v.id,
        package: v.packageName,
        version: v.packageVersion,
        ...(v.fixedVersion ? { fixedVersion: v.fixedVersion } : {}),
        severity: v.severity,
        ...(v.cvss !== undefined ? { cvss: v.cvss } : {}),
      },
      remediation: v.fixedVersion
        ? `upgrade ${v.packageName} to ${v.fixedVersion} or later`
        : `no fix yet: remove ${v.packageName}, or add an exception with an expiry`,
    });
  }
  return { violations, ...(changesAt ? { changesAt } : {}), ...(suppressed.length > 0 ? { suppressed } : {}) };
};
