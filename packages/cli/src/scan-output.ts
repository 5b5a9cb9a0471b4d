// How `assay scan` and `assay report` print a report: a table for people, or JSON, CycloneDX or
// SARIF for tools; and a policy evaluation as lines under it.
import { SEVERITIES, type ScanReport, type Severity } from '@assay/domain';
import type { Evaluation } from '@assay/policy-engine';
import { toCycloneDx, toSarif } from '@assay/scan-engine';
import { CliError } from './io.ts';

export const FORMATS = ['table', 'json', 'cyclonedx', 'sarif'] as const;
export type Format = (typeof FORMATS)[number];

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A report as text: the image, its packages, vulnerabilities, sensitive data and warnings. */
export function reportTable(report: ScanReport): string {
  const img = report.image;
  const out: string[] = [];
  out.push(`Image: ${img.registry}/${img.repository}${img.tag ? `:${img.tag}` : ''}@${img.digest}`);
  if (report.os) out.push(`OS: ${report.os.family} ${report.os.name ?? ''}`.trimEnd());
  if (report.baseImage) out.push(`Base image: ${report.baseImage}`);
  if ((report as { status?: string }).status === 'failed') out.push(`Scan FAILED: ${(report as { error?: string }).error ?? ''}`);
  out.push('');
  out.push(`Packages (${report.packages.length}):`);
  if (report.packages.length > 0)
    out.push(
      pad([['NAME', 'VERSION', 'TYPE', 'PATH'], ...report.packages.map((p) => [p.name, p.version, p.type, p.path ?? ''])]).trimEnd(),
    );
  out.push('');
  const vulns = report.vulnerabilities ?? [];
  out.push(`Vulnerabilities (${vulns.length}):`);
  if (vulns.length > 0) {
    const sorted = [...vulns].sort(
      (a, b) => SEVERITIES.indexOf(a.severity as Severity) - SEVERITIES.indexOf(b.severity as Severity) || a.id.localeCompare(b.id),
    );
    out.push(
      pad([
        ['ID', 'SEVERITY', 'PACKAGE', 'VERSION', 'FIXED IN'],
        ...sorted.map((v) => [v.id, v.severity, v.packageName, v.packageVersion, v.fixedVersion ?? '']),
      ]).trimEnd(),
    );
  }
  const sensitive = report.sensitiveData ?? [];
  if (sensitive.length > 0) {
    out.push('');
    out.push(`Sensitive data (${sensitive.length}):`);
    out.push(pad([['RULE', 'SEVERITY', 'PATH'], ...sensitive.map((s) => [s.rule, s.severity, s.path])]).trimEnd());
  }
  const warnings = (report as { warnings?: string[] }).warnings ?? [];
  if (warnings.length > 0) {
    out.push('');
    out.push(`Warnings (${warnings.length}):`);
    for (const w of warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}

export function formatReport(report: ScanReport, format: Format): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'cyclonedx':
      return `${toCycloneDx(report, { space: 2 })}\n`;
    case 'sarif':
      return `${JSON.stringify(toSarif(report), null, 2)}\n`;
    case 'table':
      return reportTable(report);
  }
}

export function evaluationText(e: Evaluation, applied: number): string {
  const lines = [`Policy: ${e.compliant ? 'COMPLIANT' : 'NON-COMPLIANT'} (${applied} ${applied === 1 ? 'policy' : 'policies'} applied)`];
  for (const r of e.reasons)
    lines.push(`  ${r.action === 'block' ? 'FAIL ' : 'AUDIT'} ${r.policy}/${r.control} [${r.severity}]: ${r.message}`);
  return `${lines.join('\n')}\n`;
}

export function parseFormat(v: string | undefined): Format {
  const f = (v ?? 'table') as Format;
  if (!FORMATS.includes(f)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
  return f;
}
