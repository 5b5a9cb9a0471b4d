// One discovered artifact as the report records it: parsed (simple signing, DSSE, in-toto,
// Sigstore bundle), checked against the digest it claims to be about, keyless certificates
// verified against the trusted roots, and a key signature's exact signed bytes kept so a policy's
// key can be checked later. What is wrong with an artifact is its `error`, never a throw: one bad
// signature must not hide the good ones beside it.
import type { AttestationRecord, SignatureRecord } from '@assay/domain';
import type { BundleArtifact, CosignAttestationArtifact, CosignSignatureArtifact, DiscoveredArtifact } from './artifacts.ts';
import { parseBundle, bundleKeyedMaterial } from './bundle.ts';
import { pae, parseEnvelope, type DsseEnvelope } from './dsse.ts';
import { kindOfPredicate, parseStatement, statementNames, type Statement } from './in-toto.ts';
import { bundleFromCosign, KEY_SIGNATURE_ERROR, verifyKeyless } from './keyless.ts';
import { summarisePredicate } from './predicates.ts';
import { parseSimpleSigning } from './simple-signing.ts';
import type { TrustedRoots } from './trusted-root.ts';

/** cosign v3 signs an image as an in-toto statement of this type in a bundle: a signature, not an attestation. */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

/**
 * The largest signed bytes kept for a key to be checked at policy time. Simple-signing payloads
 * are a few hundred bytes; an SBOM attestation can be megabytes, and a report is not its store.
 */
export const MAX_KEPT_SIGNED_BYTES = 1024 * 1024;

export type ArtifactRecord = { signature: SignatureRecord } | { attestation: AttestationRecord };

const origin = (a: DiscoveredArtifact) => ({
  subject: a.subject,
  scope: a.scope,
  source: a.source,
  format: a.kind === 'sigstore-bundle' ? ('sigstore-bundle' as const) : ('cosign' as const),
  artifact: a.artifact,
});

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).slice(0, 2000);

/** The signed bytes and signatures a key is checked against, or why they are not kept. */
function keyedOf(signed: Buffer, signatures: readonly Buffer[] | readonly string[], keyHint?: string) {
  if (signed.length > MAX_KEPT_SIGNED_BYTES) {
    return {
      error: `signed payload of ${signed.length} bytes is larger than ${MAX_KEPT_SIGNED_BYTES} bytes: not kept for key verification`,
    };
  }
  const sigs = signatures.slice(0, 20).map((s) => (typeof s === 'string' ? s : s.toString('base64')));
  return { keyed: { signed: signed.toString('base64'), signatures: sigs, ...(keyHint ? { keyHint: keyHint.slice(0, 500) } : {}) } };
}

function cosignSignature(a: CosignSignatureArtifact, roots: TrustedRoots, now: Date): SignatureRecord {
  const base = origin(a);
  let payload;
  try {
    payload = parseSimpleSigning(a.payload);
  } catch (err) {
    return { ...base, error: `unreadable simple-signing payload: ${message(err)}` };
  }
  const fields = { ...base, payloadDigest: payload.manifestDigest, dockerReference: payload.dockerReference };
  const error = payload.manifestDigest !== a.subject ? `payload is for ${payload.manifestDigest}, not ${a.subject}` : undefined;
  if (a.certificate) {
    const keyless = verifyKeyless(bundleFromCosign(a, { payload: a.payload, signature: a.signature }), a.payload, roots, now);
    return { ...fields, keyless, ...(error ? { error } : {}) };
  }
  const kept = keyedOf(a.payload, [a.signature]);
  return { ...fields, ...('keyed' in kept ? { keyed: kept.keyed } : {}), ...((error ?? kept.error) ? { error: error ?? kept.error } : {}) };
}

/** An in-toto statement in a DSSE envelope, as an attestation record (signer material added by the caller). */
function attestationOf(base: ReturnType<typeof origin>, statement: Statement): AttestationRecord {
  const kind = kindOfPredicate(statement.predicateType);
  const subjectMatches = statementNames(statement, base.subject);
  let summary = {};
  let error: string | undefined = subjectMatches ? undefined : `attestation is about ${subjectsText(statement)}, not ${base.subject}`;
  try {
    summary = summarisePredicate(kind, statement.predicate, base.subject);
  } catch (err) {
    error ??= `unreadable ${kind} predicate: ${message(err)}`;
  }
  return { ...base, predicateType: statement.predicateType.slice(0, 1000), kind, subjectMatches, ...summary, ...(error ? { error } : {}) };
}

function subjectsText(statement: Statement): string {
  const names = statement.subjects.map((s) => (s.digest['sha256'] ? `sha256:${s.digest['sha256']}` : s.name)).slice(0, 3);
  return names.length > 0 ? names.join(', ') : 'no subject';
}

function cosignAttestation(a: CosignAttestationArtifact, roots: TrustedRoots, now: Date): AttestationRecord {
  const base = origin(a);
  let envelope: DsseEnvelope;
  let statement: Statement;
  try {
    envelope = parseEnvelope(a.envelope);
    statement = parseStatement(envelope.payload, envelope.payloadType);
  } catch (err) {
    return { ...base, predicateType: 'unknown', kind: 'other', subjectMatches: false, error: `unreadable attestation: ${message(err)}` };
  }
  const record = attestationOf(base, statement);
  if (a.certificate) return { ...record, keyless: verifyKeyless(bundleFromCosign(a, { envelope: a.envelope }), undefined, roots, now) };
  const kept = keyedOf(
    pae(envelope.payloadType, envelope.payload),
    envelope.signatures.map((s) => s.sig),
    envelope.signatures[0]?.keyid,
  );
  return { ...record, ...('keyed' in kept ? { keyed: kept.keyed } : {}), ...(!record.error && kept.error ? { error: kept.error } : {}) };
}

/** The bytes of a subject's manifest, when known (a message-signature bundle signs them). */
export type ManifestBytes = (digest: string) => Buffer | undefined;

function bundleArtifact(a: BundleArtifact, roots: TrustedRoots, now: Date, manifests: ManifestBytes): ArtifactRecord {
  const base = origin(a);
  let parsed;
  try {
    parsed = parseBundle(a.bundle);
  } catch (err) {
    return { signature: { ...base, error: `unreadable Sigstore bundle: ${message(err)}` } };
  }
  // A message signature signs the subject's manifest bytes; a DSSE bundle carries what it signs.
  const artifact = parsed.content.kind === 'message' ? manifests(a.subject) : undefined;
  const keyless = verifyKeyless(parsed.bundle, artifact, roots, now);
  // A bundle without a certificate is a key signature: its material is kept for the policy's keys.
  const signer = !keyless.verified && keyless.error === KEY_SIGNATURE_ERROR ? keyedBundle(parsed.bundle, artifact) : { keyless };
  if (parsed.content.kind === 'message') {
    // A message signature over the image manifest itself: its digest must be the subject's.
    const hex = parsed.content.digest.value.toString('hex');
    const named = `${parsed.content.digest.algorithm.toLowerCase().replace('_', '')}:${hex}`;
    const error = named === a.subject ? undefined : `bundle signs ${named}, not ${a.subject}`;
    return { signature: { ...base, payloadDigest: named, ...signer, ...(error ? { error } : {}) } };
  }
  let statement: Statement;
  try {
    statement = parseStatement(parsed.content.envelope.payload, parsed.content.envelope.payloadType);
  } catch (err) {
    return { signature: { ...base, ...signer, error: `unreadable statement in bundle: ${message(err)}` } };
  }
  if (statement.predicateType === COSIGN_SIGN_PREDICATE) {
    const error = statementNames(statement, a.subject) ? undefined : `signature is about ${subjectsText(statement)}, not ${a.subject}`;
    return { signature: { ...base, payloadDigest: a.subject, ...signer, ...(error ? { error } : {}) } };
  }
  return { attestation: { ...attestationOf(base, statement), ...signer } };
}

function keyedBundle(bundle: unknown, artifact: Buffer | undefined): { keyed?: SignatureRecord['keyed']; error?: string } {
  try {
    const m = bundleKeyedMaterial(bundle, artifact);
    return keyedOf(m.signed, m.signatures, m.keyHint);
  } catch (err) {
    return { error: `bundle has neither a certificate nor usable key material: ${message(err)}` };
  }
}

/** One artifact as a report record. */
export function recordOf(
  a: DiscoveredArtifact,
  roots: TrustedRoots,
  now: Date,
  manifests: ManifestBytes = () => undefined,
): ArtifactRecord {
  if (a.kind === 'cosign-signature') return { signature: cosignSignature(a, roots, now) };
  if (a.kind === 'cosign-attestation') return { attestation: cosignAttestation(a, roots, now) };
  return bundleArtifact(a, roots, now, manifests);
}
