// The trust of one image, as its report records it: every signature and attestation found for
// its digest (and for the index it was reached through), each verified as far as it can be
// without a policy. Called once per digest at scan time, and again when a signature is pushed or
// the trusted roots change; admission never calls it.
import type { AttestationRecord, SignatureRecord, TrustSection } from '@assay/domain';
import { discoverArtifacts, type DiscoveryLimits, type DiscoverySubject, type TrustSource } from './discovery.ts';
import type { Discovery } from './artifacts.ts';
import { recordOf } from './records.ts';
import type { TrustedRoots } from './trusted-root.ts';

/** The report keeps at most this many of each (its schema's bound); the rest are counted in a warning. */
const MAX_RECORDS = 100;

export interface VerifyImageOptions {
  roots: TrustedRoots;
  now?: Date;
  limits?: DiscoveryLimits;
  signal?: AbortSignal;
}

/** Discovers and verifies the signatures and attestations of `subjects` (the image first, then its index). */
export async function verifyImageTrust(
  source: TrustSource,
  repository: string,
  subjects: readonly DiscoverySubject[],
  opts: VerifyImageOptions,
): Promise<TrustSection> {
  const now = opts.now ?? new Date();
  const discovery = await discoverArtifacts(source, repository, subjects, {
    ...opts.limits,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const manifests = await subjectManifests(source, repository, discovery, opts.signal);
  const signatures: SignatureRecord[] = [];
  const attestations: AttestationRecord[] = [];
  for (const a of discovery.artifacts) {
    const r = recordOf(a, opts.roots, now, (d) => manifests.get(d));
    if ('signature' in r) signatures.push(r.signature);
    else attestations.push(r.attestation);
  }
  const warnings = discovery.warnings.slice(0, MAX_RECORDS - 2).map((w) => w.slice(0, 2000));
  if (signatures.length > MAX_RECORDS) warnings.push(`${signatures.length - MAX_RECORDS} more signatures not recorded`);
  if (attestations.length > MAX_RECORDS) warnings.push(`${attestations.length - MAX_RECORDS} more attestations not recorded`);
  return {
    verifiedAt: now,
    subjects: subjects.map((s) => ({ digest: s.digest, scope: s.scope })).slice(0, 2),
    roots: opts.roots.ids.slice(0, 20),
    signatures: signatures.slice(0, MAX_RECORDS),
    attestations: attestations.slice(0, MAX_RECORDS),
    warnings,
  };
}

/**
 * The manifest bytes of the subjects a Sigstore bundle is about: a message-signature bundle signs
 * them. Fetched only when a bundle was found (a DSSE bundle carries what it signs; the fetch is
 * one small request per subject); a failure leaves the bundle unverifiable, with its reason.
 */
async function subjectManifests(
  source: TrustSource,
  repository: string,
  discovery: Discovery,
  signal: AbortSignal | undefined,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const wanted = new Set(discovery.artifacts.filter((a) => a.kind === 'sigstore-bundle').map((a) => a.subject));
  for (const digest of wanted) {
    const m = await source.getManifest(repository, digest, signal ? { signal } : {}).catch(() => undefined);
    if (m?.bytes) out.set(digest, m.bytes);
  }
  return out;
}
