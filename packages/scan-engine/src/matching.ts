// Matching, kept apart from inventory (Clair's split): a report's final package list against a
// vulnerability database gives its findings. A scan matches once it has its packages; a new
// database re-matches stored reports without pulling any image again. Both, and the CLI, go
// through here, so a report matched anywhere has the same findings, counts and warnings.
import type { OsInfo, Package } from '@assay/inventory';
import type { ScanReport, ScanSummary } from '@assay/domain';
import type { Finding, OsEol, VulnDb } from '@assay/vulndb';

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
  const { epss, kev, ...rest } = f;
  return {
    ...rest,
    aliases: f.aliases.filter((a) => a !== '' && a.length <= 100),
    ...(epss ? { epss: { ...epss } } : {}),
    ...(kev ? { kev: { ...kev } } : {}),
  };
}

/**
 * The report's OS with its end of security support when the database knows it (`eolReached`
 * as of `now`); without one, any earlier database's dates are dropped, not left stale.
 */
export function withOsEol(report: ScanReport, eol: OsEol | undefined, now: Date = new Date()): ScanReport['os'] {
  if (!report.os) return undefined;
  const { eol: _e, eolReached: _r, ...os } = report.os;
  return eol ? { ...os, eol: eol.eol, eolReached: eol.eol <= now.toISOString().slice(0, 10) } : os;
}

/**
 * The report with these findings, matched against database `version`; without a database
 * (`findings` undefined) no vulnerabilities, no version, and the warning saying why.
 */
export function withFindings(
  report: ScanReport,
  findings: readonly Finding[] | undefined,
  version: string | undefined,
  db?: Pick<VulnDb, 'osEol'>,
): ScanReport {
  const warnings = ((report as { warnings?: string[] }).warnings ?? []).filter((w) => w !== NO_DB_WARNING);
  // An advisory id the store cannot hold (over 100 characters) is left out rather than failing the report.
  const vulnerabilities = (findings ?? []).filter((f) => f.id.length <= 100).map(toVulnerability);
  const { vulnDbVersion: _old, ...rest } = report;
  const os = db && report.os ? withOsEol(report, db.osEol(osOfReport(report))) : report.os;
  const out: ScanReport = {
    ...rest,
    ...(os ? { os } : {}),
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
export function matchReport(report: ScanReport, db: Pick<VulnDb, 'match' | 'version'> & Partial<Pick<VulnDb, 'osEol'>>): ScanReport {
  return withFindings(report, findingsOf(db, report), db.version, db.osEol ? (db as Pick<VulnDb, 'osEol'>) : undefined);
}
