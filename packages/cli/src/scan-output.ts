// How `assay scan` and `assay report` print a report: a table for people (summary and verdict
// first, findings next, packages on request), or JSON, CycloneDX or SARIF for tools.
import { SEVERITIES, type ScanReport, type Severity } from '@assay/domain';
import type { Evaluation } from '@assay/policy-engine';
import { NO_DB_WARNING, toCycloneDx, toSarif } from '@assay/scan-engine';
import { painter, type Paint } from './color.ts';
import { CliError } from './io.ts';

export const FORMATS = ['table', 'json', 'cyclonedx', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

/** Columns aligned; `paint` colours a body cell (after padding, so escapes do not skew widths). */
function pad(rows: string[][], paint?: (col: number, cell: string) => string): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return (
    rows
      .map((r, row) =>
        r
          .map((c, i) => {
            const cell = i === r.length - 1 ? c : c.padEnd(widths[i]!);
            return paint && row > 0 ? paint(i, cell) : cell;
          })
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export interface TableOptions {
  /** The packages table too (`--list-packages`); by default only their count. */
  listPackages?: boolean;
  /** Verdict lines (policy evaluation, signature check) printed right under the image. */
  verdict?: string;
  paint?: Paint;
  /** What to do when no database was used (default: the `assay scan` flag). */
  noDatabaseHint?: string;
}

/** Whether the report was matched against a vulnerability database at all. */
export function vulnerabilitiesChecked(report: ScanReport): boolean {
  return !((report as { warnings?: string[] }).warnings ?? []).includes(NO_DB_WARNING);
}

/** "2 critical, 1 high" — the non-zero severities, most severe first; "none" when all are zero. */
function severityCounts(items: readonly { severity: string }[], paint: Paint): string {
  const parts = SEVERITIES.map((sev) => [sev, items.filter((i) => i.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${paint.severity(sev)}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

const osName = (os: NonNullable<ScanReport['os']>): string => `${os.family} ${os.name ?? ''}`.trimEnd();

/** ` (end of life 2028-06-30)` when the database knew the release's date. */
const eolNote = (os: NonNullable<ScanReport['os']>): string => (os.eol ? ` (end of life ${os.eol})` : '');

/**
 * A report as text, summary first: the image, the verdict, what was not checked, counts by
 * severity; then the findings (vulnerabilities, sensitive data, malware) and warnings; the
 * packages only when asked for — a hundred package rows must not push the findings off screen.
 */
export function reportTable(report: ScanReport, opts: TableOptions = {}): string {
  const p = opts.paint ?? painter(false);
  const img = report.image;
  const out: string[] = [];
  out.push(`Image: ${img.registry}/${img.repository}${img.tag ? `:${img.tag}` : ''}@${img.digest}`);
  if (report.os) out.push(`OS: ${report.os.family} ${report.os.name ?? ''}`.trimEnd() + eolNote(report.os));
  // Said at the top: every finding below will only grow on a release that gets no more fixes.
  if (report.os?.eolReached)
    out.push(p.bad(`WARNING: ${osName(report.os)} reached its end of life on ${report.os.eol}: it gets no more security fixes`));
  if (report.baseImage) out.push(`Base image: ${report.baseImage}`);
  if ((report as { status?: string }).status === 'failed') out.push(p.bad(`Scan FAILED: ${(report as { error?: string }).error ?? ''}`));
  const checked = vulnerabilitiesChecked(report);
  // Stated first: an empty vulnerability list without a database must not read as clean.
  if (!checked) out.push(p.warn(`Vulnerabilities: not checked (no database; ${opts.noDatabaseHint ?? 'use --vulndb'})`));
  if (opts.verdict) out.push(opts.verdict.trimEnd());
  // Findings a VEX statement suppressed (`--vex`) are listed apart, not counted with the rest.
  const vulns = (report.vulnerabilities ?? []).filter((v) => !v.vex);
  const suppressed = (report.vulnerabilities ?? []).filter((v) => v.vex);
  const sensitive = report.sensitiveData ?? [];
  const malware = (report as { malware?: { name: string; path: string; layerDigest?: string }[] }).malware ?? [];
  out.push('');
  out.push('Summary:');
  if (checked) out.push(`  vulnerabilities  ${vulns.length} (${severityCounts(vulns, p)})`);
  if (suppressed.length > 0) out.push(`  suppressed (VEX) ${suppressed.length}`);
  out.push(`  sensitive data   ${sensitive.length}${sensitive.length > 0 ? ` (${severityCounts(sensitive, p)})` : ''}`);
  out.push(`  malware          ${malware.length === 0 ? '0' : p.bad(String(malware.length))}`);
  out.push(`  packages         ${report.packages.length}${opts.listPackages ? '' : ' (listed with --list-packages)'}`);
  if (checked && vulns.length > 0) {
    const sorted = [...vulns].sort(
      (a, b) => SEVERITIES.indexOf(a.severity as Severity) - SEVERITIES.indexOf(b.severity as Severity) || a.id.localeCompare(b.id),
    );
    out.push('', `Vulnerabilities (${vulns.length}):`);
    // EPSS and KEV columns only when the database carried them for some finding.
    const intel = sorted.some((v) => v.epss || v.kev);
    out.push(
      pad(
        [
          ['ID', 'SEVERITY', 'PACKAGE', 'VERSION', 'FIXED IN', ...(intel ? ['EPSS', 'KEV'] : [])],
          ...sorted.map((v) => [
            v.id,
            v.severity,
            v.packageName,
            v.packageVersion,
            v.fixedVersion ?? '',
            ...(intel ? [v.epss ? v.epss.score.toFixed(3) : '', v.kev ? (v.kev.ransomware ? 'ransomware' : 'exploited') : ''] : []),
          ]),
        ],
        (i, c) => (i === 1 ? p.severity(c.trimEnd()) + c.slice(c.trimEnd().length) : c),
      ).trimEnd(),
    );
  }
  if (suppressed.length > 0) {
    out.push('', `Suppressed by VEX (${suppressed.length}):`);
    out.push(
      pad([
        ['ID', 'PACKAGE', 'VERSION', 'STATUS', 'JUSTIFICATION', 'DOCUMENT'],
        ...suppressed.map((v) => [v.id, v.packageName, v.packageVersion, v.vex!.status, v.vex!.justification ?? '', v.vex!.document]),
      ]).trimEnd(),
    );
  }
  if (sensitive.length > 0) {
    out.push('', `Sensitive data (${sensitive.length}):`);
    out.push(
      pad([['RULE', 'SEVERITY', 'PATH'], ...sensitive.map((s) => [s.rule, s.severity, s.path])], (i, c) =>
        i === 1 ? p.severity(c.trimEnd()) + c.slice(c.trimEnd().length) : c,
      ).trimEnd(),
    );
  }
  if (malware.length > 0) {
    out.push('', `Malware (${malware.length}):`);
    out.push(pad([['NAME', 'PATH'], ...malware.map((m) => [m.name, m.path])]).trimEnd());
  }
  const warnings = ((report as { warnings?: string[] }).warnings ?? []).filter((w) => w !== NO_DB_WARNING);
  if (warnings.length > 0) {
    out.push('', `Warnings (${warnings.length}):`);
    for (const w of warnings) out.push(`  ${w}`);
  }
  if (opts.listPackages && report.packages.length > 0) {
    out.push('', `Packages (${report.packages.length}):`);
    out.push(
      pad([['NAME', 'VERSION', 'TYPE', 'PATH'], ...report.packages.map((x) => [x.name, x.version, x.type, x.path ?? ''])]).trimEnd(),
    );
  }
  return `${out.join('\n')}\n`;
}

/** The report in `format`; `table` options apply to the table only (machine formats are never coloured). */
export function formatReport(report: ScanReport, format: Format, table: TableOptions = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'cyclonedx':
      return `${toCycloneDx(report, { space: 2 })}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(report), null, 2)}\n`;
    case 'table':
      return reportTable(report, table);
  }
}

export function evaluationText(e: Evaluation, applied: number, paint: Paint = painter(false)): string {
  const verdict = e.compliant ? paint.good('COMPLIANT') : paint.bad('NON-COMPLIANT');
  const lines = [`Policy: ${verdict} (${applied} ${applied === 1 ? 'policy' : 'policies'} applied)`];
  for (const r of e.reasons)
    lines.push(
      `  ${r.action === 'block' ? paint.bad('FAIL ') : paint.warn('AUDIT')} ${r.policy}/${r.control} [${paint.severity(r.severity)}]: ${r.message}`,
    );
  return `${lines.join('\n')}\n`;
}

export function parseFormat(v: string | undefined): Format {
  const f = (v ?? 'table') as Format;
  if (!FORMATS.includes(f)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
  return f;
}
