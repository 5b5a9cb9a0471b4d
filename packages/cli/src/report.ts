// `assay report <digest>`: a stored scan report from a running scanner's HTTP routes
// (/reports/:digest, /sbom for CycloneDX, /sarif), printed as the scanner serves it or as a table.
import { colorFor, painter } from './color.ts';
import { isValidDigest } from '@assay/image-ref';
import type { ScanReport } from '@assay/domain';
import { parseCommandArgs } from './args.ts';
import { CONTEXT_HELP, CONTEXT_OPTION, contextHint, resolveContext } from './context.ts';
import { baseUrl, request } from './http.ts';
import { CliError, EXIT_ALLOWED, type CliIo } from './io.ts';
import { parseFormat, reportTable } from './scan-output.ts';

export const REPORT_USAGE = `Usage: assay report <digest> [--scanner <url>] [--format table|json|cyclonedx|sarif]

Prints the scanner's stored report of an image manifest digest (sha256:…).

  --scanner <url>          the scanner's HTTP address (its health port), e.g. http://scanner:8080
                           (default: the context's)
${CONTEXT_HELP}
  --format <f>             table (default), json, cyclonedx (CycloneDX 1.6), sarif (SARIF 2.1.0); -f
  --timeout <ms>           request timeout (default 30000)
  --list-packages          list the packages in the table (by default their count)
  -h, --help               this help

Exit status: 0 printed, 2 error (no report, scanner unreachable, bad digest).
`;

export async function reportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, {
    ...CONTEXT_OPTION,
    scanner: { type: 'string' },
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
    timeout: { type: 'string' },
    'list-packages': { type: 'boolean' },
  });
  const v = parsed.values;
  if (v.help) {
    io.stdout(REPORT_USAGE);
    return EXIT_ALLOWED;
  }
  if (parsed.positionals.length !== 1) throw new CliError('expected one digest; see assay report --help');
  const digest = parsed.positionals[0]!;
  if (!isValidDigest(digest)) throw new CliError(`${JSON.stringify(digest)} is not a digest (sha256:<hex>)`);
  let scanner = v.scanner;
  if (scanner === undefined) {
    const ctx = await resolveContext(v);
    scanner = ctx.scannerUrl;
    if (scanner === undefined) throw new CliError(`--scanner <url> is required${contextHint(ctx)}`);
  }
  const base = baseUrl(scanner, '--scanner');
  const format = parseFormat(v.format ?? v.output);
  const timeoutMs = v.timeout === undefined ? 30_000 : Number(v.timeout);
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new CliError('--timeout must be a positive number of milliseconds');
  const path = format === 'cyclonedx' ? '/sbom' : format === 'sarif' ? '/sarif' : '';
  const res = await request(`${base}/reports/${encodeURIComponent(digest)}${path}`, { timeoutMs });
  if (format === 'table') {
    let report: ScanReport;
    try {
      report = JSON.parse(res.text) as ScanReport;
    } catch {
      throw new CliError(`${base}: the report is not JSON`);
    }
    io.stdout(
      reportTable(report, {
        paint: painter(colorFor(io)),
        listPackages: v['list-packages'] === true,
        noDatabaseHint: 'the scanner has none: see assay vulndb update',
      }),
    );
  } else {
    io.stdout(res.text.endsWith('\n') ? res.text : `${res.text}\n`);
  }
  return EXIT_ALLOWED;
}
