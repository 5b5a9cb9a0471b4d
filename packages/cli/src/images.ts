// `assay images`: the images the running system has judged, newest verdict first, as a table a
// person reads (or JSON), from the policy API's verdict list (GET /api/v1/verdicts).
import { parseArgs } from 'node:util';
import { request } from './http.ts';
import { CliError, EXIT_ALLOWED, type CliIo } from './io.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, policyConnection } from './policy-connection.ts';

export const IMAGES_USAGE = `Usage: assay images --api <url> --token-file <f> [options]

  The images the policy service has a verdict for, newest evaluation first.

Options:
${CONNECTION_HELP}
  --compliance <c>               compliant, non_compliant, pending or error
  --repository <glob>            registry/repository glob, e.g. 'ghcr.io/acme/**'
  -q, --query <text>             text the reference contains
  --limit <n>                    images shown (default 50, at most 500)
  --continue <token>             the next page (the token the previous page printed)
  --output table|json            output (default table); -o
  -h, --help                     this help

Exit status: 0 done, 2 error (one line on stderr).
`;

const COMPLIANCES = ['compliant', 'non_compliant', 'pending', 'error'];

/** The summary fields the table reads (the API's item, GET /api/v1/verdicts). */
export interface VerdictItem {
  digest: string;
  image: { registry: string; repository: string; tag: string };
  compliance: string;
  evaluatedAt?: string;
  reasonCount: number;
}

/** `sha256:` and the first 12 hex digits, as `docker images` shortens ids. */
export const shortDigest = (d: string) => d.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]*$/, '$1');

/** The verdict as a word: what the VERDICT column and `assay status` print. */
export const verdictWord = (c: string) => c.toUpperCase().replace('_', '-');

/** `2024-05-01 10:30:00Z`: seconds, UTC, readable. */
export const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

/** Columns padded to their widest cell; the last one is not padded. */
export function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

export function imagesTable(items: readonly VerdictItem[]): string {
  const rows = [['REPOSITORY:TAG', 'DIGEST', 'VERDICT', 'REASONS', 'EVALUATED']];
  for (const i of items) {
    const name = `${i.image.registry}/${i.image.repository}${i.image.tag ? `:${i.image.tag}` : ''}`;
    rows.push([name, shortDigest(i.digest), verdictWord(i.compliance), String(i.reasonCount), when(i.evaluatedAt)]);
  }
  return table(rows);
}

export async function imagesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        ...CONNECTION_OPTIONS,
        compliance: { type: 'string' },
        repository: { type: 'string' },
        query: { type: 'string', short: 'q' },
        limit: { type: 'string' },
        continue: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(IMAGES_USAGE);
    return EXIT_ALLOWED;
  }
  const output = v.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new CliError('--output must be table or json');
  if (v.compliance !== undefined && !COMPLIANCES.includes(v.compliance)) {
    throw new CliError(`--compliance must be one of ${COMPLIANCES.join(', ')}`);
  }
  const query = new URLSearchParams();
  if (v.limit !== undefined) {
    const n = Number(v.limit);
    if (!Number.isInteger(n) || n < 1 || n > 500) throw new CliError('--limit must be a whole number from 1 to 500');
    query.set('limit', String(n));
  }
  if (v.compliance !== undefined) query.set('compliance', v.compliance);
  if (v.repository !== undefined) query.set('repository', v.repository);
  if (v.query !== undefined) query.set('q', v.query);
  if (v.continue !== undefined) query.set('continue', v.continue);
  const conn = await policyConnection(v);
  const res = await request(`${conn.api}/api/v1/verdicts?${query}`, { headers: conn.headers });
  const page = JSON.parse(res.text) as { items: VerdictItem[]; continue?: string };
  if (output === 'json') {
    io.stdout(`${JSON.stringify(page, null, 2)}\n`);
    return EXIT_ALLOWED;
  }
  if (page.items.length === 0) io.stdout('no images match\n');
  else io.stdout(imagesTable(page.items));
  if (page.continue) io.stdout(`more: assay images … --continue ${page.continue}\n`);
  return EXIT_ALLOWED;
}
