// Trusted signers: the image must be signed by `required` (default 1) distinct signers the policy
// trusts. The scanner found and verified the signatures (report.trust); here the policy's keys are
// checked against the kept signed bytes and its keyless identities against the verified
// certificates (@assay/trust matchSigner, memoised). A signature counts only on a digest the
// policy's index/platform rule accepts, and (matchReference, default on) only if its cosign payload
// names this image's repository: a signature copied from another repository proves nothing here.
import type { ScanReport, SignatureRecord, TrustedSigner } from '@assay/domain';
import { describeSignature, matchSigner, signerLabel } from '@assay/trust';
import type { Control, Controls, Violation } from './types.ts';
import {
  digestToSign,
  hasIndex,
  imageRepository,
  normaliseRepository,
  scopeCounts,
  shortDigest,
  type SignedDigestRule,
  untrustedSigner,
} from './trust-scope.ts';

type Config = NonNullable<Controls['signatures']>;

const ITEM = 'signature';

function evidenceOf(record: SignatureRecord, signer: string): Record<string, unknown> {
  return { signer, subject: record.subject, scope: record.scope, source: record.source, artifact: record.artifact };
}

/** What to run to make the image pass: one line per missing signer kind. */
function remediation(report: ScanReport, rule: SignedDigestRule, missing: readonly TrustedSigner[]): string {
  const image = `${report.image.registry}/${report.image.repository}@${digestToSign(report, rule)}`;
  const keyed = missing.filter((s) => s.key !== undefined);
  const keyless = missing.filter((s) => s.keyless !== undefined);
  const ways: string[] = [];
  if (keyed.length > 0) ways.push(`cosign sign --key <private key of ${keyed.map(signerLabel).join(' or ')}> ${image}`);
  if (keyless.length > 0) ways.push(`cosign sign ${image} as ${keyless.map(signerLabel).join(' or ')}`);
  return `sign it with a trusted signer: ${ways.join(', or ')}`;
}

/** Why a record that no trusted signer is credited with does not count, or undefined when it could. */
function unusable(record: SignatureRecord, rule: SignedDigestRule, indexed: boolean, repository: string | undefined): string | undefined {
  if (record.error !== undefined) return `signature ${record.artifact} not usable: ${record.error}`;
  if (record.keyless && !record.keyless.verified) return `signed by ${describeSignature(record)}`;
  if (!scopeCounts(record.scope, rule, indexed)) {
    return `signature on the ${record.scope === 'index' ? 'index' : 'platform image'} does not count (signedDigest: ${rule})`;
  }
  if (repository !== undefined && record.dockerReference !== undefined && normaliseRepository(record.dockerReference) !== repository) {
    return `signature for ${normaliseRepository(record.dockerReference)} copied to this repository`;
  }
  return undefined;
}

export const signaturesControl: Control<Config> = (report, config, ctx) => {
  const rule: SignedDigestRule = config.signedDigest ?? ctx.signedDigest ?? 'either';
  const required = config.required ?? 1;
  const trust = report.trust;
  const missingAll = remediation(report, rule, config.signers);
  if (!trust) {
    return {
      violations: [
        {
          item: ITEM,
          severity: 'high',
          summary: 'signatures not verified for this image (scan again)',
          evidence: { subject: report.image.digest },
          remediation: 'scan the image again so its signatures are verified',
        },
      ],
    };
  }
  const indexed = hasIndex(trust);
  const repository = config.matchReference === false ? undefined : imageRepository(report);
  const signedBy = new Set<number>();
  const rejected: Violation[] = [];
  for (const record of trust.signatures) {
    const why = unusable(record, rule, indexed, repository);
    if (why !== undefined) {
      rejected.push({
        item: ITEM,
        severity: 'high',
        summary: why,
        evidence: evidenceOf(record, describeSignature(record)),
        remediation: missingAll,
      });
      continue;
    }
    const matched = config.signers.flatMap((s, i) => (matchSigner(s, record) ? [i] : []));
    for (const i of matched) signedBy.add(i);
    if (matched.length === 0) {
      rejected.push({
        item: ITEM,
        severity: 'high',
        summary: untrustedSigner(record, config.signers),
        evidence: evidenceOf(record, describeSignature(record)),
        remediation: missingAll,
      });
    }
  }
  if (signedBy.size >= required) return { violations: [] };

  const violations: Violation[] = [];
  if (trust.signatures.length === 0) {
    const digest = digestToSign(report, rule);
    violations.push({
      item: ITEM,
      severity: 'high',
      summary: `not signed: no signature found for ${shortDigest(digest)}`,
      evidence: { subject: digest, scope: rule === 'index' && indexed ? 'index' : 'image' },
      remediation: missingAll,
    });
  } else violations.push(...rejected);
  if (required > 1) {
    const found = config.signers.filter((_, i) => signedBy.has(i));
    const missing = config.signers.filter((_, i) => !signedBy.has(i));
    const foundText = found.length > 0 ? ` (${found.map(signerLabel).join(', ')})` : '';
    violations.push({
      item: ITEM,
      severity: 'high',
      summary: `${found.length} of ${required} required signers${foundText}; missing: ${missing.map(signerLabel).join(', ')}`,
      evidence: { signers: found.map(signerLabel), missing: missing.map(signerLabel), required, subject: report.image.digest },
      remediation: remediation(report, rule, missing),
    });
  }
  return { violations };
};
