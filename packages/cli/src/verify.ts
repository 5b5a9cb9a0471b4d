// `assay verify <image>`: who signed an image, checked the way the scanner and the policy engine
// check it (discovery and verification by @assay/trust, the judgement by the signatures or
// attestations control of @assay/policy-engine), offline apart from the registry. Exit 0
// verified, 1 not verified, 2 error — cosign's habit.
import type { ScanReport, TrustedSigner, TrustSection } from '@assay/domain';
import { evaluateImage } from '@assay/policy-engine';
import { describeSignature, matchSigner, signerLabel, verifyImageTrust, type SignedRecord } from '@assay/trust';
import { parseCommandArgs } from './args.ts';
import { openImage } from './image-source.ts';
import { CliError, EXIT_ALLOWED, EXIT_DENIED, type CliIo } from './io.ts';
import { TRUST_FLAGS_USAGE, trustOptions, trustRequest, type TrustRequest } from './trust-flags.ts';

export const VERIFY_USAGE = `Usage: assay verify <image> (--key <file> | --certificate-identity[-regexp] <id> --certificate-oidc-issuer[-regexp] <url>) [options]

Finds the signatures (or, with --attestation-type, the attestations) of an image in its registry —
cosign's sha256-<hex>.sig/.att tags, OCI referrers, Sigstore bundles — and verifies them offline.

Options:
${TRUST_FLAGS_USAGE('')}  --output text|json         output (default text); -o
  --insecure                 plain HTTP to the registry
  -h, --help                 this help

Exit status: 0 verified, 1 not verified (the reasons on stdout), 2 error (one line on stderr).
`;

/** A report holding only an image's trust section: what the controls judge. */
export function trustOnlyReport(image: ScanReport['image'], trust: TrustSection): ScanReport {
  return {
    reportId: `verify:${image.digest}`,
    image,
    analyzerVersions: {},
    scannedAt: trust.verifiedAt,
    layers: [],
    packages: [],
    vulnerabilities: [],
    trust,
  };
}

/** The verification of a report's trust against the request's policy: verified, and the reasons when not. */
export function judgeTrust(report: ScanReport, request: TrustRequest): { verified: boolean; reasons: string[] } {
  const e = evaluateImage(report, [request.policy], [], new Date());
  return { verified: e.compliant, reasons: e.reasons.map((r) => r.message) };
}

/**
 * The trust section as JSON output shows it: without the kept signed bytes and signatures (a key
 * signature's `keyed` material), which are for the policy engine, not for readers, and can be large.
 */
export function trustForOutput(trust: TrustSection): TrustSection {
  const strip = <T extends { keyed?: unknown }>(r: T): T => {
    const { keyed: _keyed, ...rest } = r;
    return rest as T;
  };
  return { ...trust, signatures: trust.signatures.map(strip), attestations: trust.attestations.map(strip) };
}

/**
 * Who signed a record: a verified certificate names its identity; a key signature names no key by
 * itself, so the requested key that verifies it is named.
 */
function signedBy(record: SignedRecord, signers: readonly TrustedSigner[]): string {
  const signer = signers.find((s) => matchSigner(s, record));
  if (!signer) return describeSignature(record);
  return `verified, ${record.keyless?.verified ? describeSignature(record) : signerLabel(signer)}`;
}

/** What was found, one line each, for the text output; `signers` are credited where they verify. */
export function trustLines(trust: TrustSection, signers: readonly TrustedSigner[] = []): string[] {
  const lines: string[] = [];
  for (const s of trust.signatures)
    lines.push(`  signature (${s.format}, ${s.source}) on ${s.subject}: ${s.error ? `unusable: ${s.error}` : signedBy(s, signers)}`);
  for (const a of trust.attestations)
    lines.push(`  attestation ${a.kind} (${a.predicateType}) on ${a.subject}: ${a.error ? `unusable: ${a.error}` : signedBy(a, signers)}`);
  for (const w of trust.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

/** The signers the request's policy trusts (its signatures control, or its attestation requirement). */
export function requestSigners(request: TrustRequest): TrustedSigner[] {
  const c = request.policy.policy.controls;
  return [...(c.signatures?.signers ?? []), ...(c.attestations ?? []).flatMap((a) => a.signers)];
}

export async function verifyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, { ...trustOptions(''), output: { type: 'string', short: 'o' }, insecure: { type: 'boolean' } });
  const v = parsed.values;
  if (v.help) {
    io.stdout(VERIFY_USAGE);
    return EXIT_ALLOWED;
  }
  if (parsed.positionals.length !== 1) throw new CliError(`expected one image, got ${parsed.positionals.length}; see assay verify --help`);
  const output = (v.output as string | undefined) ?? 'text';
  if (output !== 'text' && output !== 'json') throw new CliError(`--output must be text or json, got ${JSON.stringify(output)}`);
  const arg = parsed.positionals[0]!;
  const request = await trustRequest(v, '');
  const img = await openImage(arg, { ...(v.insecure ? { insecure: true } : {}) });
  let report: ScanReport;
  try {
    const client = img.client;
    if (!client) throw new CliError(`${arg}: signatures are looked for in a registry; give an image reference`);
    const manifest = await client.getManifest(img.repository, img.reference).catch((err: Error) => {
      throw new CliError(`${arg}: ${err.message}`);
    });
    const trust = await verifyImageTrust(client, img.repository, [{ digest: manifest.digest, scope: 'image' }], { roots: request.roots });
    const image = { registry: img.registry, repository: img.repository, digest: manifest.digest, ...(img.tag ? { tag: img.tag } : {}) };
    report = trustOnlyReport(image, trust);
  } finally {
    await img.close();
  }
  const trust = report.trust!;
  const result = judgeTrust(report, request);
  if (output === 'json') {
    const doc = { image: report.image, verified: result.verified, reasons: result.reasons, trust: trustForOutput(trust) };
    io.stdout(`${JSON.stringify(doc, null, 2)}\n`);
  } else {
    const ref = `${report.image.registry}/${report.image.repository}@${report.image.digest}`;
    io.stdout(`${result.verified ? 'Verified' : 'NOT verified'}: ${ref} against ${request.signer}\n`);
    for (const r of result.reasons) io.stdout(`  reason: ${r}\n`);
    const found = trustLines(trust, requestSigners(request));
    if (found.length > 0) io.stdout(`Found:\n${found.join('\n')}\n`);
    else io.stdout('Found: no signature or attestation\n');
  }
  return result.verified ? EXIT_ALLOWED : EXIT_DENIED;
}
