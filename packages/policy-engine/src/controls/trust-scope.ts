// What the signature and attestation controls share about the report's trust section: which
// signed digest counts for this image (the policy's index/platform rule), and how repositories
// named in cosign payloads compare with the image's, and how an untrusted signer is named.
import { describeSignature, signerLabel, type SignedRecord } from '@assay/trust';
import type { ScanReport, TrustedSigner, TrustScope } from '@assay/domain';

export type SignedDigestRule = 'platform' | 'index' | 'either';

/** A digest shortened for one-line reasons: `sha256:ab12cd34ef56…`. */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return digest.length > colon + 13 ? `${digest.slice(0, colon + 13)}…` : digest;
}

/** Whether the report's image was reached through an index (the scanner looked at the index's digest too). */
export function hasIndex(trust: NonNullable<ScanReport['trust']>): boolean {
  return trust.subjects.some((s) => s.scope === 'index');
}

/**
 * Whether an artifact of `scope` counts under `rule`. `platform` takes the image manifest's own
 * signature, `index` the index's; `either` both. An image reached through no index (single-arch)
 * has only its own digest, which is the one a user signs: under `index` that one counts.
 */
export function scopeCounts(scope: TrustScope, rule: SignedDigestRule, indexed: boolean): boolean {
  if (rule === 'either') return true;
  if (rule === 'platform') return scope === 'image';
  return scope === 'index' || (!indexed && scope === 'image');
}

/** The digest a signer should sign for the rule: the index's under `index` (when there is one), else the image's. */
export function digestToSign(report: ScanReport, rule: SignedDigestRule): string {
  const index = report.trust?.subjects.find((s) => s.scope === 'index');
  return rule === 'index' && index ? index.digest : report.image.digest;
}

/**
 * A docker reference as `registry/repository`, the way registries name it: tag and digest dropped,
 * Docker Hub's implicit host and `library/` made explicit (`nginx:1` → `docker.io/library/nginx`),
 * the host lower-cased.
 */
export function normaliseRepository(reference: string): string {
  let ref = reference.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) ref = ref.slice(0, colon); // a tag (a port's colon comes before the first slash)
  const first = ref.indexOf('/');
  const head = first >= 0 ? ref.slice(0, first) : '';
  const isHost = first >= 0 && (head.includes('.') || head.includes(':') || head === 'localhost');
  let host = isHost ? head.toLowerCase() : 'docker.io';
  let path = isHost ? ref.slice(first + 1) : ref;
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') host = 'docker.io';
  if (host === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return `${host}/${path}`;
}

/** The image's own `registry/repository`, normalised as above. */
export function imageRepository(report: ScanReport): string {
  return normaliseRepository(`${report.image.registry}/${report.image.repository}`);
}

/**
 * Why a signed record no trusted signer is credited with does not count, naming what was found
 * and whom the policy trusts. A key signature names no key (only a key that verifies it could), so
 * it says which keys were tried; a keyless one names its identity and issuer.
 */
export function untrustedSigner(record: SignedRecord, signers: readonly TrustedSigner[]): string {
  const keys = signers.filter((s) => s.key !== undefined).map(signerLabel);
  const trusted = signers.map(signerLabel).join(', ');
  if (record.keyed && !record.keyless) {
    if (keys.length === 0) return `signed with a key, but this policy trusts keyless signers only (${trusted})`;
    return `signed with a key this policy does not trust (${describeSignature(record)}; checked against ${keys.join(', ')})`;
  }
  return `signed by ${describeSignature(record)}, which this policy does not trust (it trusts ${trusted})`;
}
