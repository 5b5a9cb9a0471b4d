// Matching, kept apart from inventory (Clair's split): a report's final package list against a
// vulnerability database gives its findings. A scan matches once it has its packages; a new
// database re-matches stored reports without pulling any image again. Both, and the CLI, go
// through here, so a report matched anywhere has the same findings, counts and warnings.
import type { OsInfo, Package } from '@assay/inventory';
import type { ScanReport, ScanSummary } from '@assay/domain';
import type { Finding, VulnDb } from '@assay/vulndb';

export const NO_DB_WARNING = 'no vulnerability database loaded';

type SeverityCounts = ScanSummary['vulnerabilities'];

export function severityCounts(findings: readonly { severity: string }[]): SeverityCounts {
  const c: SeverityCounts = { critical: 0, high: 0, medium: 0, low: 0, negligible: 0, unknown: 0 };
  for (const f of findings) {
    const k = (f.severity in c ? f.severity : 'unknown') as keyof SeverityCounts;
    c[k]++;
  }
  return c;
}

/** The OS the report names, as matching wants it (the same rule rematchReports applies). */
export function osOfReport(report: Pick<ScanReport, 'os'>): OsInfo | undefined {
  const os = report.os;
  const name = os?.version ?? os?.name;
  return os && name ? { family: os.family, name } : undefined;
}

/**
 * A finding in the report's Vulnerability shape (bounded as the store validates it). Carries
 * `fixPublishedAt` (the fix-publication time the grace period reads) whenever match() gave one.
 */
export function toVulnerability(f: Finding): ScanReport['vulnerabilities'][number] {
  return { ...f, aliases: f.aliases.filter((a) => a !== '' && a.length <= 100) };
}

/**
 * The report with these findings, matched against database `version`; without a database
 * (`findings` undefined) no vulnerabilities, no version, and the warning saying why.
 */
export function withFindings(report: ScanReport, findings: readonly Finding[] | undefined, version: string | undefined): ScanReport {
  const warnings = ((report as { warnings?: string[] }).warnings ?? []).filter((w) => w !== NO_DB_WARNING);
  // An advisory id the store cannot hold (over 100 characters) is left out rather than failing the report.
  const vulnerabilities = (findings ?? []).filter((f) => f.id.length <= 100).map(toVulnerability);
  const { vulnDbVersion: _old, ...rest } = report;
  const out: ScanReport = {
    ...rest,
    ...(version !== undefined && findings ? { vulnDbVersion: version } : {}),
    vulnerabilities,
    ...(report.summary ? { summary: { ...report.summary, vulnerabilities: severityCounts(vulnerabilities) } } : {}),
  };
  (out as { warnings?: string[] }).warnings = findings ? warnings : [...warnings, NO_DB_WARNING];
  return out;
}

/** The database's findings for the report's packages (stored packages are inventory packages). */
export function findingsOf(db: Pick<VulnDb, 'match'>, report: ScanReport): Finding[] {
  return db.match(report.packages as unknown as readonly Package[], osOfReport(report));
}

/** The report matched against `db`. */
export function matchReport(report: ScanReport, db: Pick<VulnDb, 'match' | 'version'>): ScanReport {
  return withFindings(report, findingsOf(db, report), db.version);
}
