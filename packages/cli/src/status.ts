// `assay status <image|digest>`: one image's verdict from the policy API — compliance, each
// reason, when it was evaluated and scanned, under which policy versions. A tag reference is
// resolved through the policy API's verdict list (the newest verdict recorded under that tag),
// not the registry: the verdict shown is the one admission would apply to what was seen there.
import { parseArgs } from 'node:util';
import { isValidDigest, parseReference } from '@assay/image-ref';
import { request } from './http.ts';
import { CliError, EXIT_ALLOWED, EXIT_DENIED, EXIT_ERROR, type CliIo } from './io.ts';
import { verdictWord, when, type VerdictItem } from './images.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, policyConnection, type PolicyConnection } from './policy-connection.ts';

export const STATUS_USAGE = `Usage: assay status <image|digest> --api <url> --token-file <f> [options]

  The verdict of an image: compliance, each reason, when it was evaluated and scanned, and the
  policy versions it was judged under. A digest (sha256:…) or a reference pinned to one is looked
  up directly; a tag reference (registry/repository:tag) is resolved through the policy API to
  the newest verdict recorded under that tag.

Options:
${CONNECTION_HELP}
  --output text|json             output (default text; json is the whole verdict); -o
  -h, --help                     this help

Exit status: 0 compliant, 1 non-compliant, 2 pending, error, no verdict or a failure.
`;

/** The verdict's JSON form (GET /api/v1/verdicts/:digest), the fields printed. */
interface VerdictJson {
  image?: { registry?: string; repository?: string; tag?: string; digest?: string };
  compliance?: string;
  reasons?: { policy?: string; control?: string; message?: string; auditOnly?: boolean }[];
  policies?: { id?: string; version?: number }[];
  evaluatedAt?: string;
  scannedAt?: string;
  complianceSince?: string;
}

/** Verdicts a tag lookup reads: the list's largest page, newest first. */
const TAG_LOOKUP_PAGE = 500;

/** The digest `target` names: itself, the digest it is pinned to, or its tag's newest verdict's. */
async function digestOf(conn: PolicyConnection, target: string): Promise<string> {
  if (isValidDigest(target)) return target;
  let ref;
  try {
    ref = parseReference(target);
  } catch (err) {
    throw new CliError(`${JSON.stringify(target)} is neither a digest nor an image reference: ${(err as Error).message}`);
  }
  if (ref.digest) return ref.digest;
  const tag = ref.tag ?? 'latest';
  const query = new URLSearchParams({ repository: `${ref.registry}/${ref.repository}`, limit: String(TAG_LOOKUP_PAGE) });
  const res = await request(`${conn.api}/api/v1/verdicts?${query}`, { headers: conn.headers });
  const page = JSON.parse(res.text) as { items: VerdictItem[] };
  const hit = page.items.find((i) => i.image.tag === tag);
  if (!hit) throw new CliError(`no verdict recorded for ${ref.registry}/${ref.repository}:${tag} (try its digest)`);
  return hit.digest;
}

export function statusText(v: VerdictJson, digest: string): string {
  const img = v.image ?? {};
  const name = img.registry ? `${img.registry}/${img.repository}${img.tag ? `:${img.tag}` : ''}` : '';
  const compliance = (v.compliance ?? 'COMPLIANCE_UNSPECIFIED').replace(/^COMPLIANCE_/, '').toLowerCase();
  const lines = [`${verdictWord(compliance)} ${name}@${digest}`];
  const reasons = v.reasons ?? [];
  for (const r of reasons) lines.push(`  ${r.policy}/${r.control}: ${r.message}${r.auditOnly ? ' (audit only)' : ''}`);
  if (reasons.length === 0) lines.push('  no reasons');
  lines.push(`evaluated: ${when(v.evaluatedAt)}`);
  lines.push(`scanned:   ${when(v.scannedAt)}`);
  if (v.complianceSince) lines.push(`since:     ${when(v.complianceSince)}`);
  const policies = (v.policies ?? []).map((p) => `${p.id} v${p.version}`);
  lines.push(`policies:  ${policies.length > 0 ? policies.join(', ') : 'none applied'}`);
  return `${lines.join('\n')}\n`;
}

export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { ...CONNECTION_OPTIONS, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    io.stdout(STATUS_USAGE);
    return EXIT_ALLOWED;
  }
  if (parsed.positionals.length !== 1) throw new CliError('expected one image reference or digest (assay status --help)');
  const output = v.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new CliError('--output must be text or json');
  const conn = await policyConnection(v);
  const digest = await digestOf(conn, parsed.positionals[0]!);
  const res = await request(`${conn.api}/api/v1/verdicts/${digest}`, { headers: conn.headers });
  const verdict = JSON.parse(res.text) as VerdictJson;
  io.stdout(output === 'json' ? `${JSON.stringify(verdict, null, 2)}\n` : statusText(verdict, digest));
  if (verdict.compliance === 'COMPLIANCE_COMPLIANT') return EXIT_ALLOWED;
  if (verdict.compliance === 'COMPLIANCE_NON_COMPLIANT') return EXIT_DENIED;
  return EXIT_ERROR;
}
